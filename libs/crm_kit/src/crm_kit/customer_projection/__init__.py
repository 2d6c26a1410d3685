"""The projection of customers a service keeps from the customer events (`customer.*`): the
customer as that service needs it, its lifecycle there (archived, merged into another, erased)
and the re-keying of the service's records when customers merge and unmerge.

`model` is pure; `store` is the MongoDB adapter; `service` the use cases the handlers of
customer events run; `queries` the read side. A service that keeps more of a customer than
the kit's `CustomerView` subclasses it and says how its own fields are stored (`ViewDocs`).
Nothing is imported here, so that a service's `model.py` can import `model` without loading
a database library."""
