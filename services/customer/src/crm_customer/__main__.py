from crm_customer.app import create_app
from crm_customer.settings import service_settings
from crm_kit.service import serve

settings = service_settings()
serve(create_app(settings), settings)
