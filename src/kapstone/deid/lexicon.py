"""Word lists the detectors use: given names, family names, nicknames, words that look like names but
are not, relation words, and the quasi-identifier vocabulary (no Django).

The name lists are common given and family names (public-domain census frequency lists carry the same
names); the test corpus plants names from its own, partly disjoint, fictional pools so the
context rules, not only this dictionary, are measured.
"""

from __future__ import annotations


def _words(block: str) -> frozenset[str]:
    return frozenset(block.split())


GIVEN_NAMES = _words(
    """
aaron abigail ada adam adrian aiden alan albert alex alexander alexis alice alicia allison alma amanda
amber amelia amy ana andrea andrew angela anna anne annie anthony april arthur ashley audrey austin
ava barbara beatrice ben benjamin bernard beth betty beverly bill billy bob bobby bonnie brandon brenda
brian brittany bruce bryan caleb calvin cameron carl carla carlos carmen carol caroline carolyn carter
catherine charles charlie charlotte chelsea cheryl chloe chris christian christina christine christopher
cindy claire clara clarence cody colin connie craig crystal cynthia daisy dale dan daniel danielle
darlene david dawn dean debbie deborah debra denise dennis derek diana diane dolores donald donna doris
dorothy douglas dylan earl eddie edith edward eileen elaine eleanor elena eli elijah elizabeth ella
ellen ellie emily emma eric erica erin esther ethan eugene eva evan evelyn felix fiona florence frances
francis frank gabriel gail gary george georgia gerald gladys glenn gloria gordon grace greg gregory
hannah harold harper harry hazel heather helen henry holly howard hunter ian irene isaac isabel
isabella ivy jack jackson jacob jacqueline jake james jamie jane janet janice jason jasmine jean jeff
jeffrey jennifer jenny jeremy jerry jesse jessica jill jim jimmy joan joe joel john johnny jon
jonathan jordan jose joseph josephine joshua joy joyce juan judith judy julia julian julie june justin
karen katherine kathleen kathryn kathy katie kayla keith kelly ken kenneth kevin kim kimberly kyle
laura lauren lawrence leah lee leo leon leonard leslie lewis liam lillian lily linda lisa logan lois
lori louis louise lucas lucy luis luke lydia lynn madison maggie margaret maria marie marilyn mario
marion mark martha martin mary mason matthew maureen max maya megan melissa michael michelle mike
mildred miles molly monica morgan nancy naomi natalie nathan nicholas nick nicole noah nora norma
olivia oscar owen pamela patricia patrick paul paula pauline peggy penny peter philip phyllis quinn
rachel ralph randy ray raymond rebecca regina renee rhonda richard rick rita rob robert robin rodney
roger ron ronald rosa rose ruby russell ruth ryan sally sam samantha samuel sandra sara sarah scott
sean shannon sharon shawn sheila shirley sophia sophie stacy stanley stella stephanie stephen steve
steven sue susan sylvia tammy tara ted teresa terry theresa thomas tim timothy tina todd tom tommy
tony tracy travis tyler valerie vanessa vera victor victoria vincent virginia walter wanda wayne
wendy william willie wyatt zachary zoe
"""
)

FAMILY_NAMES = _words(
    """
adams allen alvarez anderson bailey baker barnes bell bennett brooks brown bryant butler campbell
carter castillo chavez clark coleman collins cook cooper cox cruz davis diaz edwards evans fisher
flores ford foster garcia gibson gomez gonzalez graham gray green griffin hall hamilton harris hayes
henderson hernandez hill holmes howard hughes hunt jackson james jenkins johnson jones jordan kelly
kennedy kim king lee lewis long lopez martin martinez mason mcdonald miller mitchell moore morales
morgan morris murphy murray myers nelson nguyen ortiz owens parker patel patterson perez perry
peterson phillips powell price ramirez reed reyes reynolds richardson rivera roberts robinson
rodriguez rogers ross russell sanchez sanders scott simmons smith stewart sullivan taylor thomas
thompson torres turner walker wallace ward washington watson webb wells west white williams wilson
wood woods wright young
"""
)

# Given name -> its usual short forms (and back): a record that knows "Robert" also finds "Bob".
NICKNAMES: dict[str, tuple[str, ...]] = {
    "robert": ("bob", "bobby", "rob", "robbie", "bert"),
    "william": ("will", "bill", "billy", "liam", "willy"),
    "elizabeth": ("liz", "lizzie", "beth", "betty", "eliza", "libby"),
    "margaret": ("maggie", "meg", "peggy", "marge"),
    "katherine": ("kate", "katie", "kat", "kathy"),
    "catherine": ("cat", "cathy", "kate"),
    "richard": ("rick", "dick", "rich", "richie"),
    "james": ("jim", "jimmy", "jamie"),
    "john": ("jack", "johnny"),
    "michael": ("mike", "mikey", "mick"),
    "thomas": ("tom", "tommy"),
    "christopher": ("chris", "kit"),
    "christine": ("chris", "chrissy"),
    "jennifer": ("jen", "jenny"),
    "alexander": ("alex", "xander", "sasha"),
    "alexandra": ("alex", "sasha", "lexi"),
    "samuel": ("sam", "sammy"),
    "samantha": ("sam", "sammy"),
    "benjamin": ("ben", "benny"),
    "daniel": ("dan", "danny"),
    "david": ("dave", "davey"),
    "joseph": ("joe", "joey"),
    "patricia": ("pat", "patty", "trish"),
    "patrick": ("pat", "paddy"),
    "edward": ("ed", "eddie", "ted", "ned"),
    "theodore": ("theo", "ted", "teddy"),
    "nicholas": ("nick", "nicky"),
    "rebecca": ("becky", "becca"),
    "susan": ("sue", "susie"),
    "deborah": ("deb", "debbie"),
    "victoria": ("vicky", "tori"),
    "jonathan": ("jon", "jonny"),
    "matthew": ("matt",),
    "anthony": ("tony",),
    "steven": ("steve",),
    "stephen": ("steve",),
    "gregory": ("greg",),
    "jeffrey": ("jeff",),
    "kenneth": ("ken", "kenny"),
    "ronald": ("ron", "ronnie"),
    "timothy": ("tim", "timmy"),
    "abigail": ("abby",),
    "josephine": ("jo", "josie"),
    "eleanor": ("ellie", "nora", "nell"),
    "dorothy": ("dot", "dottie"),
    "frances": ("fran", "frankie"),
    "francis": ("frank", "frankie"),
    "harold": ("hal", "harry"),
    "henry": ("hank", "harry"),
    "lawrence": ("larry",),
    "leonard": ("leo", "len", "lenny"),
    "raymond": ("ray",),
    "zachary": ("zach", "zack"),
}

# Capitalised words that are not names even where a name rule would fire (clinical vocabulary, the
# pronouns and words that start sentences, placeholders' words).
NOT_NAMES = _words(
    """
i a an the he she they we it this that these those his her their our my your its there here then
when while after before during since until today yesterday tomorrow tonight patient client clinician
therapist prescriber supervisor trainee session sessions dosing preparation integration intake
ketamine esketamine spravato kap phq gad pcl dsm icd bp hr spo2 iv im sl po prn mg ml no yes none
not also and but or so if as at by for from in into of on to with without plan assessment note notes
progress mood affect sleep safety risk medication medications music eyeshade eyeshades blanket mask
monday tuesday wednesday thursday friday saturday sunday january february march april may june july
august september october november december spring summer autumn fall winter god lord jesus buddha
mother father mom dad sister brother husband wife partner son daughter friend aunt uncle
grandmother grandfather family emergency contact support person employer referral name dr mr mrs ms
mx miss prof md do rn np pa lcsw lmft lpc phd psyd english spanish american dsm-5 covid zoom
telehealth ok okay hi dear thanks thank please she's he's they're im ive id ill
"""
)

RELATION_WORDS = (
    "husband",
    "wife",
    "partner",
    "spouse",
    "fiance",
    "fiancé",
    "fiancee",
    "fiancée",
    "boyfriend",
    "girlfriend",
    "son",
    "daughter",
    "child",
    "kid",
    "stepson",
    "stepdaughter",
    "mother",
    "father",
    "mom",
    "mum",
    "dad",
    "stepmother",
    "stepfather",
    "stepmom",
    "stepdad",
    "brother",
    "sister",
    "sibling",
    "half-brother",
    "half-sister",
    "twin",
    "aunt",
    "uncle",
    "cousin",
    "niece",
    "nephew",
    "grandmother",
    "grandfather",
    "grandma",
    "grandpa",
    "granddaughter",
    "grandson",
    "friend",
    "roommate",
    "housemate",
    "boss",
    "manager",
    "supervisor",
    "coworker",
    "co-worker",
    "colleague",
    "neighbor",
    "neighbour",
    "ex",
    "ex-husband",
    "ex-wife",
    "ex-partner",
    "sponsor",
    "pastor",
    "priest",
    "rabbi",
    "imam",
    "teacher",
    "coach",
    "therapist",
    "psychiatrist",
    "doctor",
    "physician",
    "counselor",
    "counsellor",
    "landlord",
    "lawyer",
    "attorney",
    "caseworker",
    "guardian",
    "caregiver",
    "babysitter",
    "nanny",
    "dog",
    "cat",
)

# Quasi-identifiers: kept text a person must decide about (164.514(b)(2)(ii), "actual knowledge").
RARE_CONDITIONS = (
    "ehlers-danlos",
    "huntington",
    "marfan",
    "fabry",
    "gaucher",
    "porphyria",
    "wilson's disease",
    "tourette",
    "progeria",
    "amyotrophic lateral sclerosis",
    "als",
    "cystic fibrosis",
    "narcolepsy",
    "prader-willi",
    "turner syndrome",
    "klinefelter",
    "phenylketonuria",
    "sickle cell",
    "hemophilia",
    "haemophilia",
    "myasthenia gravis",
    "creutzfeldt-jakob",
    "conjoined",
    "transplant",
    "amputation",
    "amputee",
    "albinism",
    "dwarfism",
    "achondroplasia",
    "locked-in",
    "lupus",
    "scleroderma",
)
PROFESSIONS = (
    "surgeon",
    "judge",
    "senator",
    "congressman",
    "congresswoman",
    "mayor",
    "governor",
    "sheriff",
    "police officer",
    "police chief",
    "firefighter",
    "pilot",
    "astronaut",
    "professor",
    "pastor",
    "priest",
    "rabbi",
    "imam",
    "bishop",
    "athlete",
    "olympian",
    "actor",
    "actress",
    "musician",
    "news anchor",
    "journalist",
    "ceo",
    "chief executive",
    "principal",
    "veterinarian",
    "dentist",
    "pharmacist",
    "nurse",
    "physician",
    "anesthesiologist",
    "air traffic controller",
    "diplomat",
    "ambassador",
    "astronomer",
    "chef",
    "author",
    "novelist",
    "podcaster",
    "influencer",
    "city council",
    "school board",
    "coroner",
    "undertaker",
    "lighthouse keeper",
    "zookeeper",
    "rodeo",
)
COMMUNITY_CUES = (
    "small town",
    "tiny town",
    "village",
    "reservation",
    "tribe",
    "tribal",
    "commune",
    "island",
    "only one in",
    "only person",
    "the only",
    "everyone knows",
    "well known",
    "well-known",
    "famous",
    "in the news",
    "on the news",
    "went viral",
    "newspaper",
    "local paper",
    "lottery",
    "world record",
    "olympic",
    "twins",
    "triplets",
    "quadruplets",
    "quintuplets",
)
EVENT_WORDS = (
    "fire",
    "flood",
    "shooting",
    "hurricane",
    "earthquake",
    "tornado",
    "marathon",
    "crash",
    "bombing",
    "wildfire",
    "storm",
    "blizzard",
    "derailment",
    "explosion",
    "festival",
    "parade",
    "tournament",
)

STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho",
    "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina",
    "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas",
    "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington", "WV": "West Virginia",
    "WI": "Wisconsin", "WY": "Wyoming", "DC": "District of Columbia", "PR": "Puerto Rico",
}  # fmt: skip
STATE_NAMES_LOWER = frozenset(v.lower() for v in STATES.values()) | {"usa", "united states", "america"}
