"""Win probability of an open deal: the stage default adjusted by factors the organisation's
own won and lost history supports, each factor's contribution returned with the number."""
