"""Custom actions, served by the rasa_sdk action server (app runtime)."""
from dealer.privacy import mask_phones_in_logs

# rasa_sdk has configured logging by the time it imports this package; customers'
# phone numbers never reach the action server's log in full.
mask_phones_in_logs("rasa_sdk")
