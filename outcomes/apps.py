from django.apps import AppConfig
from django.db.models.signals import post_save


class OutcomesConfig(AppConfig):
    name = "outcomes"
    verbose_name = "Outcome questionnaires (PROMs)"

    def ready(self):
        # patients may not import outcomes (one direction between domain apps), so a new assignment's
        # questionnaires are copied from Django's own post_save (outcomes.plan_questionnaires).
        from outcomes.plan_questionnaires import copy_on_assignment, copy_on_clone  # app registry must be ready

        post_save.connect(copy_on_assignment, sender="patients.Assignment",
                          dispatch_uid="outcomes.copy_on_assignment")
        # Likewise a cloned protocol asks the questionnaires of the one it was cloned from.
        post_save.connect(copy_on_clone, sender="protocols.Protocol", dispatch_uid="outcomes.copy_on_clone")
        # The built-in questionnaires' wording (Backstep's own) reads in the reader's language; a licensed
        # one's imported wording never goes through this.
        from clinic.builtin_text import register
        from outcomes.instruments import licensed_instrument_texts
        from outcomes.instruments.builtin import builtin_texts

        register(builtin_texts())
        # Backstep's own names for the licensed instruments and their scales (not their imported items).
        register(licensed_instrument_texts())
