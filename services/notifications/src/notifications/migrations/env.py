from clinic_runtime.migrations import run_env
from notifications.adapters.orm import metadata

run_env(metadata)
