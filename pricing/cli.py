"""`python -m pricing`: solve, validate and generate instance files from the shell.

Exit codes: 0 success, 1 failure (no valid allocation, solver error, violations found),
2 unusable input. Errors are one line each on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from pricing.errors import InstanceError, ResultFormatError
from pricing.io import dumps, load_instance, load_result

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    # argparse exits with 2 on bad usage already; this only keeps its message to one line.
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the three commands."""
    parser = _Parser(prog="python -m pricing", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    solve = commands.add_parser("solve", help="solve an instance and write the result JSON")
    solve.add_argument("instance", help="instance JSON file")
    solve.add_argument("-o", "--output", help="result file (default: stdout)")
    solve.add_argument("--solver", choices=("cbc", "highs"), default=None)
    solve.add_argument("--time-limit", type=_positive, default=None, metavar="S")
    solve.add_argument("--progress", action="store_true",
                       help="write progress events to stderr, one JSON object per line")
    validate = commands.add_parser("validate", help="check a result against its instance")
    validate.add_argument("instance", help="instance JSON file")
    validate.add_argument("result", help="result JSON file")
    generate = commands.add_parser(
        "generate", help="write a realistic instance: generated districts, or real ones from a CSV"
    )
    generate.add_argument("--buyers", type=_count, help="generated districts (without --districts)")
    generate.add_argument("--districts", metavar="CSV", help="real district rows (tests/data/districts.csv)")
    generate.add_argument("--states", type=_states, help="with --districts: keep these states, e.g. CA,NY")
    generate.add_argument("--share", type=_share, default=1.0,
                          help="with --districts: the share of them that opts in (default 1)")
    generate.add_argument("--sample", type=_count, help="with --districts: draw this many rows instead")
    generate.add_argument("--offers", type=_count, required=True)
    generate.add_argument("--seed", type=int, required=True)
    generate.add_argument("-o", "--output", help="instance file (default: stdout)")
    return parser


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text}")
    return value


def _share(text: str) -> float:
    value = _positive(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text}")
    return value


def _states(text: str) -> list[str]:
    codes = [code.strip().upper() for code in text.split(",") if code.strip()]
    if not codes or not all(len(code) == 2 and code.isalpha() for code in codes):
        raise argparse.ArgumentTypeError(f"must be two-letter state codes such as CA,NY, got {text!r}")
    return codes


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    return Path(path).read_bytes()


def _write(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text + "\n")
    else:
        Path(output).write_text(text + "\n", encoding="utf-8")


def _say(line: str) -> None:
    print(line, file=sys.stderr)


def _cannot_read(path: str, exc: OSError) -> int:
    _say(f"{path}: cannot read: {exc.strerror or exc}")
    return EXIT_INPUT


def cmd_solve(args: argparse.Namespace) -> int:
    """Solve the instance file and write the result JSON."""
    try:
        instance = load_instance(_read(args.instance))
    except OSError as exc:
        return _cannot_read(args.instance, exc)
    except InstanceError as exc:
        for problem in exc.problems:
            _say(f"{args.instance}: {problem}")
        return EXIT_INPUT
    try:
        # Imported here so validate and generate work without the solver stack.
        from pricing.engine import solve

        progress = _progress_line if args.progress else None
        result = solve(instance, solver=args.solver, time_limit_s=args.time_limit, progress=progress)
    except Exception as exc:  # noqa: BLE001 - a CLI reports any failure as one line
        _say(f"{args.instance}: solver failed: {type(exc).__name__}: {exc}")
        return EXIT_FAILED
    try:
        _write(dumps(result), args.output)
    except OSError as exc:
        _say(f"{args.output}: cannot write: {exc.strerror or exc}")
        return EXIT_FAILED
    if result.status not in ("optimal", "feasible"):
        _say(f"{args.instance}: {result.status}: {result.message or 'no valid allocation'}")
        return EXIT_FAILED
    return EXIT_OK


def _progress_line(event: dict[str, object]) -> None:
    print(json.dumps(event, separators=(", ", ": ")), file=sys.stderr, flush=True)


def cmd_validate(args: argparse.Namespace) -> int:
    """Print every rule the result breaks, or a one-line summary when it is valid."""
    from pricing.check import check_result

    try:
        instance = load_instance(_read(args.instance))
        result = load_result(_read(args.result))
    except OSError as exc:
        return _cannot_read(exc.filename or "input", exc)
    except InstanceError as exc:
        for problem in exc.problems:
            _say(f"{args.instance}: {problem}")
        return EXIT_INPUT
    except ResultFormatError as exc:
        for problem in exc.problems:
            _say(f"{args.result}: {problem}")
        return EXIT_INPUT
    violations = check_result(instance, result)
    for violation in violations:
        print(violation)
    if violations:
        return EXIT_FAILED
    print(f"valid: {len(result.assignments)} assignments, {len(result.groups)} groups")
    return EXIT_OK


def cmd_generate(args: argparse.Namespace) -> int:
    """Write a generated instance, or one built from real district rows."""
    from pricing.generate import generate_instance

    if args.districts is None:
        if args.buyers is None:
            _say("generate: give --buyers N, or --districts CSV for real districts")
            return EXIT_INPUT
        if args.states or args.sample or args.share != 1.0:
            _say("generate: --states, --share and --sample need --districts")
            return EXIT_INPUT
        instance = generate_instance(args.buyers, args.offers, args.seed)
    else:
        from pricing.districts import read_districts, real_instance

        try:
            rows = read_districts(args.districts)
            instance = real_instance(rows, args.offers, args.seed, states=args.states,
                                     share=args.share, sample=args.sample)
        except OSError as exc:
            return _cannot_read(args.districts, exc)
        except ValueError as exc:
            _say(f"{args.districts}: {exc}")
            return EXIT_INPUT
    try:
        _write(dumps(instance), args.output)
    except OSError as exc:
        _say(f"{args.output}: cannot write: {exc.strerror or exc}")
        return EXIT_FAILED
    return EXIT_OK


COMMANDS = {"solve": cmd_solve, "validate": cmd_validate, "generate": cmd_generate}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        _say("interrupted")
        return EXIT_FAILED
    except Exception as exc:  # noqa: BLE001 - the last guard against a traceback
        _say(f"error: {type(exc).__name__}: {exc}")
        return EXIT_FAILED
