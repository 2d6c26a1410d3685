from crm_customer.app import DEFAULT_PORT, create_app
from crm_kit.service import serve
from crm_kit.settings import ServiceSettings

settings = ServiceSettings.from_env("customer", DEFAULT_PORT)
serve(create_app(settings), settings)
