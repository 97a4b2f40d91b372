"""The ``gong`` connection form of Airflow's Flask UI, derived from the provider info.

Airflow >= 3.2's React UI reads the form from ``conn-fields`` and ``ui-field-behaviour`` of
:func:`~airflow_provider_gong.get_provider_info.get_provider_info`. Airflow 2.11's Flask UI (FAB) reads it
from the hook's ``get_connection_form_widgets()`` (WTForms fields, stored in ``Connection.extra`` under
their bare names) and ``get_ui_field_behaviour()``; Airflow 3.0 and 3.1 call the same two methods with
WTForms replaced by stand-ins to feed ``GET /ui/connections/hook_meta`` (3.1 always, 3.0 only where WTForms
is installed). The functions here build both from the provider info, so every UI shows the same labels,
help texts, placeholders and hidden fields.

What the conn-fields' JSON Schemas become:

- ``"format": "password"``: a :class:`~wtforms.PasswordField` (a masked input, a sensitive value to Airflow);
- ``"integer"``: an :class:`~wtforms.IntegerField`; ``"number"``: a :class:`~wtforms.StringField` whose
  text must be a number (Airflow's providers manager accepts only string, password, integer and boolean
  fields, so there is no decimal field), stored as a JSON number;
- anything else: a :class:`~wtforms.StringField`.

Every field is optional (a blank field leaves the setting unset, so the hook uses its default), and
``minimum`` / ``exclusiveMinimum`` / ``maximum`` / ``exclusiveMaximum`` are checked on Save. Only the
keyword arguments Airflow 3.0/3.1's stand-ins accept are passed (``label``, ``validators``, ``description``,
``default``, ``widget``), and fields come from the top-level ``wtforms`` module, the one they patch.

WTForms, Flask-AppBuilder and Flask-Babel are imported inside :func:`connection_form_widgets`: they come
with Airflow 2's webserver (or the FAB provider), not with Airflow 3, and only the Flask UI needs them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from airflow_provider_gong.get_provider_info import get_provider_info

__all__ = ["CONN_TYPE", "connection_form_widgets", "ui_field_behaviour"]

#: The connection type whose form this is.
CONN_TYPE = "gong"


def _connection_type() -> Mapping[str, Any]:
    """The ``gong`` entry of the provider info's ``connection-types``."""
    for entry in get_provider_info()["connection-types"]:
        if entry.get("connection-type") == CONN_TYPE:
            return dict(entry)
    raise LookupError(f"the provider info declares no {CONN_TYPE!r} connection type")


def _types(schema: Mapping[str, Any]) -> set[str]:
    """The JSON types a conn-field's schema allows, ``"null"`` left out (every field may stay blank)."""
    declared = schema.get("type", "string")
    kinds = {declared} if isinstance(declared, str) else set(declared)
    return kinds - {"null"}


def _bounds(schema: Mapping[str, Any]) -> str:
    """The range a schema allows, in words (``">= 0"``, ``"> 0 and <= 10"``), or ``""`` for any."""
    parts = [
        f"{sign} {schema[key]:g}"
        for key, sign in (
            ("exclusiveMinimum", ">"),
            ("minimum", ">="),
            ("exclusiveMaximum", "<"),
            ("maximum", "<="),
        )
        if schema.get(key) is not None
    ]
    return " and ".join(parts)


def _admits(schema: Mapping[str, Any], value: float) -> bool:
    """Whether ``value`` lies in the schema's range (``minimum``, ``exclusiveMinimum``, ...)."""
    checks: tuple[tuple[str, Callable[[float, float], bool]], ...] = (
        ("minimum", lambda found, bound: found >= bound),
        ("exclusiveMinimum", lambda found, bound: found > bound),
        ("maximum", lambda found, bound: found <= bound),
        ("exclusiveMaximum", lambda found, bound: found < bound),
    )
    return all(schema.get(key) is None or check(value, float(schema[key])) for key, check in checks)


def _range_check(schema: Mapping[str, Any], integer: bool) -> Callable[[Any, Any], None]:
    """
    A WTForms validator for a number field: the value must be a finite number in the schema's range.

    A ``"number"`` field is a text field (see the module docstring): its text is turned into a number
    here, so the extra is stored as a JSON number (``12.5``, ``3``), as Airflow 3's React UI stores it.
    It runs after ``Optional()``, so a blank field never reaches it.

    :param schema: The conn-field's JSON Schema.
    :param integer: Whether the field is an integer field (WTForms has already converted its value).
    """
    bounds = _bounds(schema)
    expected = ("an integer" if integer else "a number") + (f" {bounds}" if bounds else "")

    def check(form: Any, field: Any) -> None:
        from wtforms.validators import ValidationError  # noqa: PLC0415 - only the Flask UI has WTForms

        value = field.data
        if value is None:  # not a whole number: WTForms has already said so
            return
        if not integer:
            try:
                value = float(str(value).strip())
            except ValueError:
                raise ValidationError(f"Enter {expected}.") from None
        if not math.isfinite(value) or not _admits(schema, value):
            raise ValidationError(f"Enter {expected}.")
        if not integer:
            field.data = int(value) if value.is_integer() else value

    return check


def connection_form_widgets() -> dict[str, Any]:
    """
    The extra fields of the ``gong`` form in Airflow's Flask UI, one per conn-field of the provider info.

    Keyed by the conn-field's bare name (Airflow prefixes it with ``extra__gong__`` in the form and
    stores the value under the bare name), labelled and described as in the provider info.

    :raises ImportError: when WTForms, Flask-AppBuilder or Flask-Babel is not installed (Airflow's
        providers manager then leaves the widgets out; only the Flask UI needs them).
    """
    # Lazy: only the Flask UI has these, and Airflow 3.0/3.1 patch them before calling this.
    from flask_appbuilder.fieldwidgets import (  # noqa: PLC0415
        BS3PasswordFieldWidget,
        BS3TextFieldWidget,
    )
    from flask_babel import lazy_gettext  # noqa: PLC0415
    from wtforms import IntegerField, PasswordField, StringField  # noqa: PLC0415
    from wtforms.validators import Optional  # noqa: PLC0415

    widgets: dict[str, Any] = {}
    for name, definition in _connection_type().get("conn-fields", {}).items():
        schema = definition.get("schema", {})
        kinds = _types(schema)
        label = lazy_gettext(definition.get("label", name))
        description = definition.get("description", "")
        default = schema.get("default")
        if schema.get("format") == "password":
            widgets[name] = PasswordField(label, description=description, widget=BS3PasswordFieldWidget())
        elif kinds == {"integer"}:
            widgets[name] = IntegerField(
                label,
                validators=[Optional(), _range_check(schema, integer=True)],
                description=description,
                default=default,
                widget=BS3TextFieldWidget(),
            )
        elif kinds and kinds <= {"integer", "number"}:
            widgets[name] = StringField(
                label,
                validators=[Optional(), _range_check(schema, integer=False)],
                description=description,
                default=None if default is None else str(default),
                widget=BS3TextFieldWidget(),
            )
        else:
            widgets[name] = StringField(
                label,
                validators=[Optional()],
                description=description,
                default=default,
                widget=BS3TextFieldWidget(),
            )
    return widgets


def ui_field_behaviour() -> dict[str, Any]:
    """
    Hidden, relabelled and pre-described standard fields of the ``gong`` form in Airflow's Flask UI.

    The provider info's ``ui-field-behaviour`` with the keys the hook method uses (``hidden_fields``,
    ``relabeling``, ``placeholders`` instead of their kebab-case spelling).
    """
    behaviour = _connection_type().get("ui-field-behaviour", {})
    return {
        "hidden_fields": list(behaviour.get("hidden-fields", [])),
        "relabeling": dict(behaviour.get("relabeling", {})),
        "placeholders": dict(behaviour.get("placeholders", {})),
    }
