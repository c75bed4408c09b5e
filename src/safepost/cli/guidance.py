"""Guidance: assess, exposure, guide, kit (docs/guidance.md).

Exit codes: 0 done; 2 wrong usage (including an unknown --uses name, an unknown output suffix,
or --policy-out for a personal plan); 3 unreadable or invalid answers file; 7 output cannot be
written. Nothing is written when the answers are invalid.

Help texts follow the locale (LANGUAGE / LC_ALL / LC_MESSAGES / LANG) when it is Spanish; the
outputs follow ``--lang`` or, without it, the same locale.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from safepost.cli import _fail, echo, echo_json, escape, main, say
from safepost.guidance.constants import AUDIENCES, DOC_FORMATS, LEVELS
from safepost.guidance.i18n import LANGS, N_, detect_lang, translator

USAGE_EXIT = 2
SUFFIX_FORMATS = {".md": "md", ".markdown": "md", ".txt": "text", ".html": "html", ".htm": "html", ".pdf": "pdf"}


def _help_translator():
    """Translate help texts for a Spanish locale; a broken catalogue leaves the help in English."""
    lang = detect_lang()
    if lang == LANGS[0]:
        return str
    from safepost.core import SafepostError

    try:
        return translator(lang)
    except SafepostError:  # only the --help wording depends on it; the commands report the real error
        return str


_h = _help_translator()

_lang_option = click.option(
    "--lang", type=click.Choice(LANGS), help=_h(N_("Language of the output (default: from the locale)."))
)
_output_option = click.option(
    "-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help=_h(N_("Write to this file instead."))
)


def _doc_format_option(default: str):
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(DOC_FORMATS),
        default=default,
        show_default=True,
        help=_h(N_("Output format (pdf needs --output).")),
    )


def _guard(call, *args, **kwargs):
    """Run an API call; a SafepostError becomes one error line and its exit code."""
    from safepost.core import SafepostError

    try:
        return call(*args, **kwargs)
    except SafepostError as exc:
        _fail(str(exc), exc.exit_code)


def _write(path: Path, data: str | bytes, lang: str) -> None:
    from safepost.media.atomic import atomic_write

    payload = data.encode("utf-8") if isinstance(data, str) else data
    _ = translator(lang)
    _guard(atomic_write, path, lambda stream: stream.write(payload))
    say(_("wrote {path}").format(path=path))


def _emit(data: str | bytes, output: Path | None, lang: str) -> None:
    _ = translator(lang)
    if output is not None:
        _write(output, data, lang)
    elif isinstance(data, bytes):
        _fail(_("PDF output needs --output FILE."), USAGE_EXIT)
    else:
        echo(data, nl=False)


def _refuse_overwrite(outputs: list[Path], protected: Path | None, lang: str) -> None:
    _ = translator(lang)
    if protected is None:
        return
    for out in outputs:
        if out.resolve() == protected.resolve():
            _fail(_("{path} is the answers file; choose another output.").format(path=out), USAGE_EXIT)


# -- assess ------------------------------------------------------------------------------------


def _ask_choice(question, lang: str) -> str:
    _ = translator(lang)
    for n, option in enumerate(question.options, 1):
        say(f"  {n}) {option.label}")
    values = [o.value for o in question.options]
    default = str(values.index(question.default) + 1) if question.default in values else None
    while True:
        raw = click.prompt(_("Choose a number"), default=default, err=True).strip()
        if raw.isdigit() and 1 <= int(raw) <= len(values):
            return values[int(raw) - 1]
        if raw in values:
            return raw
        click.echo(_("Please type one of the numbers shown."), err=True)


def _ask_multi(question, lang: str) -> list[str]:
    _ = translator(lang)
    for n, option in enumerate(question.options, 1):
        say(f"  {n}) {option.label}")
    values = [o.value for o in question.options]
    default = ",".join(str(values.index(v) + 1) for v in (question.default or []) if v in values)
    while True:
        raw = click.prompt(_("Numbers separated by commas"), default=default, show_default=bool(default), err=True)
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        chosen = [values[int(p) - 1] if p.isdigit() and 1 <= int(p) <= len(values) else p for p in parts]
        if all(c in values for c in chosen) and (chosen or not question.required):
            return list(dict.fromkeys(chosen))
        click.echo(_("Please type numbers from the list, separated by commas."), err=True)


def _ask(question, lang: str) -> Any:
    _ = translator(lang)
    click.echo("", err=True)
    say("", click.style(escape(question.text), bold=True))
    if question.help:
        say(f"  {question.help}")
    if question.kind == "choice":
        return _ask_choice(question, lang)
    if question.kind == "multi":
        return _ask_multi(question, lang)
    if question.kind == "bool":
        return click.confirm(_("Yes or no"), default=bool(question.default), err=True)
    if question.kind == "int":
        raw = click.prompt(
            _("A number"),
            default="" if question.default is None else str(question.default),
            show_default=question.default is not None,
            err=True,
            value_proc=lambda v: v.strip(),
        )
        if raw == "":
            return None
        return click.IntRange(question.minimum, question.maximum)(raw)
    if question.kind == "list":
        raw = click.prompt(
            _("Separate several with commas"),
            default=", ".join(question.default or []),
            show_default=bool(question.default),
            err=True,
        )
        return [part.strip() for part in raw.split(",") if part.strip()]
    if question.kind == "actors":
        actors = []
        while True:
            actors.append({field.id: _ask(field, lang) for field in question.fields})
            if not click.confirm(_("Add another adversary?"), default=False, err=True):
                return actors
    return click.prompt(_("Your answer"), default=question.default or "", show_default=bool(question.default), err=True)


def _interview(lang: str) -> dict[str, Any]:
    """Ask every question of the questionnaire at the terminal."""
    from safepost.guidance.questions import questions

    answers: dict[str, Any] = {}
    for question in questions(lang):
        if not question.asked_for(answers.get("scope")):
            continue
        value = _ask(question, lang)
        if value is not None:
            answers[question.id] = value
    return answers


def _plan_outputs(outputs: tuple[Path, ...], lang: str) -> list[tuple[Path, str]]:
    _ = translator(lang)
    planned = []
    for out in outputs:
        fmt = SUFFIX_FORMATS.get(out.suffix.lower())
        if fmt is None:
            _fail(_("cannot tell the format of {path}: use .md, .html or .pdf").format(path=out), USAGE_EXIT)
        planned.append((out, fmt))
    return planned


@main.command(
    "assess",
    help=_h(
        N_(
            "Risk self-assessment: answer questions (or give --answers FILE) and get a security plan with "
            "prioritised steps and a review date, in Markdown, HTML or PDF."
        )
    ),
)
@click.option(
    "--answers",
    "answers_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help=_h(N_("Read the answers from this YAML file instead of asking.")),
)
@_lang_option
@click.option(
    "-o",
    "--output",
    "outputs",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help=_h(N_("Write the plan here; .md, .html or .pdf (repeatable). Default: Markdown on stdout.")),
)
@click.option(
    "--policy-out",
    type=click.Path(path_type=Path, dir_okay=False),
    help=_h(N_("Organisation plans: write the post check's policy.yaml here.")),
)
@click.option(
    "--save-answers",
    type=click.Path(path_type=Path, dir_okay=False),
    help=_h(N_("Save the answers as YAML, to run again with --answers.")),
)
@click.option("--json", "as_json", is_flag=True, help=_h(N_("Print the plan as JSON.")))
def assess_command(answers_path, lang, outputs, policy_out, save_answers, as_json) -> None:

    from safepost.guidance.answers import dump_answers, load_answers, parse_answers
    from safepost.guidance.plan import assess, render_plan

    lang = detect_lang(lang)
    _ = translator(lang)
    planned = _plan_outputs(outputs, lang)
    extra = [p for p in (policy_out, save_answers) if p is not None]
    _refuse_overwrite([p for p, _f in planned] + extra, answers_path, lang)
    if answers_path is not None:
        answers = _guard(load_answers, answers_path)
    else:
        answers = _guard(parse_answers, _interview(lang))
    plan = _guard(assess, answers, lang)
    if policy_out is not None and plan.policy is None:
        _fail(_("--policy-out needs an organisation plan (scope: organisation)."), USAGE_EXIT)

    rendered = [(path, _guard(render_plan, plan, fmt)) for path, fmt in planned]
    for path, data in rendered:
        _write(path, data, lang)
    if policy_out is not None:
        _write(policy_out, plan.policy.to_yaml(), lang)
    if save_answers is not None:
        _write(save_answers, dump_answers(answers), lang)
    if as_json:
        echo_json(plan.to_dict())
    elif not planned:
        echo(render_plan(plan, "md"), nl=False)
    levels = {"low": _("Low"), "medium": _("Medium"), "high": _("High")}
    say(
        _("Risk level {level}; review the plan by {date}.").format(
            level=levels[plan.level], date=plan.review_by.isoformat()
        )
    )


# -- exposure ----------------------------------------------------------------------------------


@main.command(
    "exposure",
    help=_h(
        N_(
            "Trace my exposure: what the services and devices you use reveal, and what to change, the most "
            "revealing first."
        )
    ),
)
@click.option(
    "--uses",
    required=True,
    metavar="LIST",
    help=_h(N_("Comma-separated services and devices, e.g. facebook-groups,whatsapp,android.")),
)
@click.option(
    "--level",
    type=click.Choice(LEVELS),
    default="medium",
    show_default=True,
    help=_h(N_("Your risk level: tips and settings up to this level are shown.")),
)
@_lang_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("text", "md", "json", "html", "pdf")),
    default="text",
    show_default=True,
    help=_h(N_("Output format (pdf needs --output).")),
)
@_output_option
def exposure_command(uses, level, lang, fmt, output) -> None:
    from safepost.core import InputError
    from safepost.guidance.exposure import exposure, render_exposure, resolve_uses

    lang = detect_lang(lang)
    try:
        ids = resolve_uses(uses)
    except InputError as exc:
        _fail(str(exc), USAGE_EXIT)
    report = _guard(exposure, ids, level, lang)
    _emit(_guard(render_exposure, report, fmt), output, lang)


# -- guide and kit -----------------------------------------------------------------------------


@main.command(
    "guide", help=_h(N_("A guide for one audience: supporters, participants, staff, anonymous-accounts or encryption."))
)
@click.argument("audience", type=click.Choice(AUDIENCES))
@_lang_option
@_doc_format_option("md")
@_output_option
def guide_command(audience, lang, fmt, output) -> None:
    from safepost.guidance.guides import guide

    lang = detect_lang(lang)
    _emit(_guard(guide, audience, lang, fmt), output, lang)


@main.group("kit", help=_h(N_("Organisation kit: social-media guidelines and a safe-event checklist.")))
def kit_group() -> None:
    pass


@kit_group.command(
    "guidelines", help=_h(N_("Social-media guidelines for an organisation, built from its assessment answers."))
)
@click.option(
    "--answers",
    "answers_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help=_h(N_("The answers YAML file (as for assess).")),
)
@_lang_option
@_doc_format_option("md")
@_output_option
def kit_guidelines_command(answers_path, lang, fmt, output) -> None:
    from safepost.guidance.answers import load_answers
    from safepost.guidance.guides import kit_guidelines

    lang = detect_lang(lang)
    _refuse_overwrite([output] if output else [], answers_path, lang)
    answers = _guard(load_answers, answers_path)
    _emit(_guard(kit_guidelines, answers, lang, fmt), output, lang)


@kit_group.command(
    "event",
    help=_h(
        N_(
            "Safe-event checklist: Chatham House rule, consent at registration, NO PHOTO badges, a no-photo "
            "zone, photographer briefing, delayed posting."
        )
    ),
)
@_lang_option
@_doc_format_option("md")
@_output_option
def kit_event_command(lang, fmt, output) -> None:
    from safepost.guidance.guides import kit_event

    lang = detect_lang(lang)
    _emit(_guard(kit_event, lang, fmt), output, lang)
