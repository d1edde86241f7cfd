from clinic_runtime.migrations import run_env
from entitlements.adapters.orm import metadata

run_env(metadata)
