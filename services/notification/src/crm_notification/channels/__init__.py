"""The channels a notice goes out on, and their adapters: email over SMTP, the SMS provider
interface, signed webhook POSTs; and where a delivery goes, looked up when it is sent."""
