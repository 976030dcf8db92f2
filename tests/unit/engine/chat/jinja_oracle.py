#!/usr/bin/python3
"""Renders chat templates with Python's jinja2, set up the way transformers renders them.

The reference for disaggd's chat template tests. transformers compiles chat templates in an
ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True) with the loopcontrols
extension and its {% generation %} tag, replaces the tojson filter with json.dumps (no HTML
escaping, ensure_ascii=False), and adds the globals raise_exception(message) and
strftime_now(format). This script does the same, with strftime_now formatting a fixed time.

Usage: jinja_oracle.py CASES.json   (prints RESULTS as JSON on standard output)
  CASES: [{"template": str, "context": object, "now": seconds since the epoch,
           "trim_blocks": bool, "lstrip_blocks": bool}, ...]
  RESULTS: [{"output": str} or {"error": str, "raised": bool}, ...] in the same order.
Exit status 3 when jinja2 is not installed.
"""
import json
import sys
from datetime import datetime

try:
    import jinja2
    import jinja2.ext
    import jinja2.sandbox
    from jinja2 import nodes
except ImportError:
    sys.stderr.write("jinja2 is not installed (Debian: python3-jinja2)\n")
    sys.exit(3)


class RaisedByTemplate(jinja2.exceptions.TemplateError):
    """What raise_exception() raises, told apart from jinja2's own errors."""


class GenerationTag(jinja2.ext.Extension):
    """{% generation %}...{% endgeneration %}: renders its body unchanged."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        call = self.call_method("_render_body")
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _render_body(self, caller):
        return caller()


def make_environment(case):
    now = datetime.fromtimestamp(case.get("now", 0))

    def raise_exception(message):
        raise RaisedByTemplate(message)

    def tojson(value, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent,
                          separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return now.strftime(fmt)

    env = jinja2.sandbox.ImmutableSandboxedEnvironment(
        trim_blocks=case.get("trim_blocks", True),
        lstrip_blocks=case.get("lstrip_blocks", True),
        extensions=[GenerationTag, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


_compiled = {}


def compile_template(case):
    """Compiles each distinct template (and environment) once: compiling dominates the time."""
    key = (case["template"], case.get("trim_blocks", True), case.get("lstrip_blocks", True),
           case.get("now", 0))
    if key not in _compiled:
        _compiled[key] = make_environment(case).from_string(case["template"])
    return _compiled[key]


def render(case):
    try:
        template = compile_template(case)
        return {"output": template.render(**case["context"])}
    except RaisedByTemplate as error:
        return {"error": str(error), "raised": True}
    except Exception as error:  # every failure is a result to compare, not a crash
        return {"error": f"{type(error).__name__}: {error}", "raised": False}


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    json.dump([render(case) for case in cases], sys.stdout, ensure_ascii=True)


if __name__ == "__main__":
    main()
