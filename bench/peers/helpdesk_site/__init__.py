"""django-helpdesk 2.6 as its README sets it up, with its REST API and token auth."""
