"""crm_gateway: a general Apollo Federation v2 gateway (starlette + graphql-core).

Entry points: `crm_gateway.app:create_app` and `python -m crm_gateway`.
"""
