from django.apps import AppConfig


class ProtocolsConfig(AppConfig):
    name = "protocols"
    verbose_name = "Protocols and exercise library"

    def ready(self) -> None:
        # The built-in library's texts read in the reader's language wherever they are still unedited.
        from clinic.builtin_text import register
        from protocols.library import library_texts  # imports the models: the app registry must be ready

        register(library_texts())
