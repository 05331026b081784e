"""The reference portal: a small web page over the live lists in Redis (docs/portal.md).

``redis_reader`` does every Redis read as the read-only user ``jobmatch-portal``;
``listing`` holds the display types and sort orders; ``server`` serves the page and its
JSON API (``jobmatch portal``); ``screenshot`` saves a picture of the page.
"""
