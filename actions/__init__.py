"""Custom actions, served by the rasa_sdk action server (app runtime)."""
from dealer.privacy import install_log_masking

# Imported first by `python -m actions.server` (and by rasa_sdk's loader): from here on
# every log record of the action server is masked when it is made (phones, plates, VINs,
# names in slot events; tracebacks included), whichever handler rasa_sdk or Sanic adds.
install_log_masking("rasa_sdk", "sanic.root", "sanic.error")
