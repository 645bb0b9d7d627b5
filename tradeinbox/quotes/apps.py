from django.apps import AppConfig


class QuotesConfig(AppConfig):
    name = "tradeinbox.quotes"
    verbose_name = "Quotations"

    def ready(self) -> None:
        from tradeinbox.mailbox import drafts
        from tradeinbox.quotes.replies import compose_draft

        # The compose page opens ?draft=quote:<reply id> with the quote's PDFs attached.
        drafts.register("quote", compose_draft)
