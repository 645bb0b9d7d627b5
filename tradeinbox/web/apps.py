from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "tradeinbox.web"
    verbose_name = "Web interface"

    def ready(self) -> None:
        # The core's texts (lint findings, send-time reasons, DNS check remedies ...) go
        # through tradeinbox.core.i18n.tr; with gettext behind it they come out in the
        # language the request activated. Without an active language gettext uses
        # LANGUAGE_CODE ("en"), so worker jobs and commands keep English.
        from django.utils.translation import gettext

        from tradeinbox.core.i18n import install_translator

        install_translator(gettext)
