"""The demo's ASGI entry: the product's application (config.asgi) plus static files for the Django admin and
Swagger UI, which production serves from a web server or object storage instead."""

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

from config.asgi import application as product_application

application = ASGIStaticFilesHandler(product_application)
