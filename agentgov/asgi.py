import os

from django.core.asgi import get_asgi_application

from agentgov.serving import ready_to_serve

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentgov.settings")
application = get_asgi_application()
ready_to_serve()
