import os
import threading

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regulars.settings")
application = get_wsgi_application()


def _warm_up() -> None:
    from regulars.text.comments import warm_up

    warm_up()


# Survey comments are analysed as they are submitted: load the language detector and the
# comment models in the background now, so the first customer of each server process
# does not wait a second for them.
threading.Thread(target=_warm_up, name="warm-up", daemon=True).start()
