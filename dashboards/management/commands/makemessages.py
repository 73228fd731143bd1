"""Django's makemessages, also finding the texts with a plural that alert rules mark for
translation and keep untranslated (`dashboards.alerts.ngettext_noop`)."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=ngettext_noop:1,2"]
