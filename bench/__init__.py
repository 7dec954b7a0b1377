"""`make bench`: gongdan measured beside django-helpdesk and a bare-INSERT limit."""
