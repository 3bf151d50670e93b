from kapstone.measures.management.commands._pure import PureCliCommand


class Command(PureCliCommand):
    help = (
        "Score one response with an installed instrument definition and print the result as JSON "
        "(exit 0 when scored, 2 on invalid input). Run `kapstone score --help` for the arguments."
    )
    entry_point = "score_main"
