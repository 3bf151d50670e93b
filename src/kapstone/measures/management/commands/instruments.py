from kapstone.measures.management.commands._pure import PureCliCommand


class Command(PureCliCommand):
    help = (
        "List or show the installed instrument definitions (shipped plus KAPSTONE_INSTRUMENT_DIRS) "
        "as JSON. Run `kapstone instruments --help` for the arguments."
    )
    entry_point = "instruments_main"
