"""The in-app inbox: notifications for staff, read and archived by their recipient, pushed live
to open subscriptions."""
