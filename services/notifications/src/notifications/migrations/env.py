from notifications.adapters.orm import metadata
from clinic_runtime.migrations import run_env

run_env(metadata)
