"""The command line: ``python -m geo <command>``; every failure is one clear line on stderr, never a traceback."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from geo.attribution.sides import ATTRIBUTION_THRESHOLD
from geo.errors import GeoError, InputError
from geo.settings import Settings, load_settings

EXIT_OK, EXIT_INVALID, EXIT_ERROR, EXIT_BUG = 0, 1, 2, 3

Command = Callable[[argparse.Namespace, Settings], int]


def _read_input(path: str, settings: Settings) -> tuple[bytes, str]:
    """The bytes of a file (or of standard input for ``-``), refused before reading when over the upload limit."""
    limit = settings.max_upload_bytes
    too_big = f"above the {settings.max_upload_mb:g} MB upload limit"
    hint = "Split the batch, or raise max_upload_mb in ceasefire.toml."
    if path == "-":
        data = sys.stdin.buffer.read(limit + 1)  # never more than one byte past the limit in memory
        if len(data) > limit:
            raise InputError(f"Standard input is {too_big}.", hint=hint)
        return data, "stdin"
    p = Path(path)
    if not p.is_file():
        msg = f"No file at {path!r}."
        raise InputError(msg, hint="Check the path; use - to read standard input.")
    size = p.stat().st_size
    if size > limit:
        raise InputError(f"{p.name} is {size / 1e6:,.1f} MB, {too_big}.", hint=hint)
    return p.read_bytes(), p.name


def _given_scenario(args: argparse.Namespace) -> Path | None:
    """The folder the user passed (``--scenario DIR``), checked, or None."""
    given = getattr(args, "scenario", None)
    if not given:
        return None
    folder = Path(given)
    if not folder.is_dir():
        msg = f"--scenario {given}: no such folder."
        raise InputError(
            msg,
            hint="Give a folder with contact_line, control_areas, zones and posts .geojson (and optionally "
            "sectors.geojson), laid out as data/scenario.",
        )
    return folder


def _store_path(args: argparse.Namespace, settings: Settings) -> Path | str:
    """The store the command works on: ``--store`` (a path or a postgresql:// URL), else the settings'."""
    from geo.store import configured

    return configured(settings, getattr(args, "store", None))


def _scenario_dir(args: argparse.Namespace, settings: Settings) -> Path:
    """The scenario in force: a folder the user passed (``--scenario DIR``, as it is), else the committed
    one, or the derived copy with the users' edits to this store (:func:`geo.context.scenario_in_force`)."""
    from geo.context import scenario_in_force

    return scenario_in_force(
        settings, store_path=_store_path(args, settings), scenario_dir=_given_scenario(args)
    )


def _context(args: argparse.Namespace, settings: Settings):  # -> geo.context.Context
    """The analysis context in force for this store (:func:`geo.context.resolve`), ``--scenario`` winning."""
    from geo.context import resolve

    return resolve(settings, store_path=_store_path(args, settings), scenario_dir=_given_scenario(args))


def _store(args: argparse.Namespace, settings: Settings):
    from geo.store import open_store, work_dir

    return open_store(_store_path(args, settings), work=work_dir(settings))


def cmd_schema(args: argparse.Namespace, settings: Settings) -> int:
    """Print the JSON Schema of an incident Feature, or docs/SCHEMA.md with --markdown."""
    from geo import schema

    sys.stdout.write(schema.to_markdown() if args.markdown else schema.json_schema_text())
    return EXIT_OK


def _print_report(result, *, as_json: bool, limit: int) -> None:
    if as_json:
        doc = {
            "filename": result.filename,
            "sha256": result.sha256,
            "format": result.format,
            "features": result.n_features,
            "accepted": len(result.accepted),
            "rejected": len(result.rejected),
            "notes": result.notes,
            "issues": [
                {
                    "index": i.index,
                    "id": i.feature_id,
                    "field": i.field,
                    "problem": i.problem,
                    "fix": i.fix,
                    "severity": i.severity,
                }
                for i in result.issues
            ],
        }
        json.dump(doc, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    print(
        f"{result.filename}: {result.n_features} features ({result.format}), "
        f"{len(result.accepted)} valid, {len(result.rejected)} rejected, {len(result.warnings)} warnings"
    )
    for note in result.notes:
        print(f"note: {note}")
    for issue in result.issues[:limit]:
        print(issue.as_text())
    if len(result.issues) > limit:
        print(f"... and {len(result.issues) - limit} more issues (use --json or --limit to see all)")


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    """Validate a batch without storing it: exit 0 all valid, 1 some invalid, 2 unreadable."""
    from geo.ingest.mapping import read_upload

    data, name = _read_input(args.file, settings)
    result = read_upload(data, filename=name, mapping=args.mapping, settings=settings)
    _print_report(result, as_json=args.json, limit=args.limit)
    return EXIT_OK if result.ok else EXIT_INVALID


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    """Validate and store a batch; print a receipt."""
    from geo.ingest.mapping import read_upload

    data, name = _read_input(args.file, settings)
    result = read_upload(data, filename=name, mapping=args.mapping, settings=settings)
    if result.accepted.empty and not (args.keep_rejected or args.strict):
        # Storing it would keep only the file and its errors: a choice to make, not a default.
        _print_report(result, as_json=False, limit=args.limit)
        print(
            f"nothing stored: no feature of {name} is valid. To keep the file and its error report for the "
            f"record anyway, add --keep-rejected.",
            file=sys.stderr,
        )
        return EXIT_INVALID
    from geo.audit import current_actor

    store = _store(args, settings)
    # The uploader is who acts (--as, or the local user), never a free text.
    receipt = store.add_batch(result, original=data, uploader=current_actor(), strict=args.strict)
    if receipt.already_ingested:
        # The same file again adds nothing and changes nothing: not a failure, and its issues were
        # reported when it first came in.
        if args.json:
            json.dump(
                {"batch_id": receipt.batch_id, "already_ingested": True, "message": receipt.message},
                sys.stdout,
            )
            sys.stdout.write("\n")
        else:
            print(receipt.message)
        return EXIT_OK
    if args.json:
        json.dump(
            {
                "batch_id": receipt.batch_id,
                "sha256": receipt.sha256,
                "filename": receipt.filename,
                "accepted": receipt.accepted,
                "rejected": receipt.rejected,
                "duplicates": receipt.duplicates,
                "already_ingested": receipt.already_ingested,
                "duplicate_uids": list(receipt.duplicate_uids),
                "message": receipt.message,
            },
            sys.stdout,
            indent=2,
        )
        sys.stdout.write("\n")
    else:
        # The same report as `validate` gives for the file, then the receipt.
        _print_report(result, as_json=False, limit=args.limit)
        print(f"batch {receipt.batch_id}  sha256 {receipt.sha256}")
        print(f"accepted {receipt.accepted}  rejected {receipt.rejected}  duplicates {receipt.duplicates}")
        print(receipt.message)
    return EXIT_OK if result.ok else EXIT_INVALID


def _filter_params(args: argparse.Namespace) -> dict[str, str]:
    """The filters of ``--from``, ``--to`` and each ``--filter KEY=VALUES``, in geo.filters' URL form."""
    from geo.filters import PARAMS

    params = {k: v for k, v in (("from", args.start), ("to", args.end)) if v}
    for item in args.filter or []:
        key, sep, value = item.partition("=")
        if not sep or key.strip() not in PARAMS:
            msg = f"--filter {item!r} is not KEY=VALUES with a known key."
            raise InputError(msg, hint=f"Use one of {', '.join(PARAMS)}, e.g. --filter type=impact,mine.")
        params[key.strip()] = value.strip()
    return params


# Filter parameters that need the analysis (the stored columns do not have them).
ANALYSED_PARAMS = frozenset({"side", "flag_level", "sector", "dmin", "dmax"})


def _progress():
    """Stage timings that also say each stage on a terminal's stderr as it starts (long analyses)."""
    from geo.pipeline import Timings
    from geo.refresh import Progress

    if not sys.stderr.isatty():
        return Timings()
    start = time.monotonic()
    return Progress(lambda stage: print(f"[{time.monotonic() - start:6.1f} s] {stage} ...", file=sys.stderr))


def _analysed(args: argparse.Namespace, settings: Settings, context=None):
    """The analysis of the stored reports in ``context`` (default the context in force, :func:`_context`)."""
    from geo.pipeline import analyse_store

    context = context if context is not None else _context(args, settings)
    return analyse_store(
        _store(args, settings),
        scenario_dir=context.scenario_dir,
        agreement_path=context.agreement_path,
        threshold=context.threshold,
        timings=_progress(),
    )


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Write the stored reports the filters select to GeoJSON, CSV, GeoPackage or KML."""
    from geo.export import export_incidents, stored_columns
    from geo.filters import Filters, apply_filters
    from geo.pipeline import with_reasons

    params = _filter_params(args)
    filters = Filters.from_params(params)
    analysis = None
    if args.with_analysis or ANALYSED_PARAMS & params.keys():
        analysis = _analysed(args, settings)
        frame = analysis.reports
    else:
        frame = _store(args, settings).incidents(start=filters.start, end=filters.end)
    frame = apply_filters(frame, filters)
    # With the analysis, each report carries its event's reasons (worded from the analysis's tables).
    export_incidents(
        with_reasons(frame, analysis) if args.with_analysis else stored_columns(frame),
        Path(args.output),
        format=args.format,
    )
    print(f"wrote {len(frame)} reports to {args.output} ({filters.describe()})")
    return EXIT_OK


def cmd_brief(args: argparse.Namespace, settings: Settings) -> int:
    """Write the PDF briefing pack and its manifest, or rebuild one from a manifest and compare the figures."""
    from geo.filters import Filters
    from geo.report import FORMATS as IMAGE_FORMATS
    from geo.report import Manifest, build_pack, manifest_path, map_image, rebuild, write_pack

    # The context in force for this store (users' edits included): the analysis's, the manifest's key.
    context = _context(args, settings)
    settings = dataclasses.replace(settings, scenario_dir=context.scenario_dir)
    params = _filter_params(args)
    if args.manifest and params:
        msg = "--manifest gives the filters; --from, --to and --filter cannot be added to it."
        raise InputError(msg, hint="Drop the filter options to rebuild the pack as it was made.")
    image_format = Path(args.image).suffix.lstrip(".").lower() if args.image else None
    if image_format is not None and image_format not in IMAGE_FORMATS:
        msg = f"--image {args.image!r} is neither a .png nor an .svg file."
        raise InputError(msg, hint="Name the image file map.png or map.svg.")
    if args.manifest and manifest_path(Path(args.output)).resolve() == Path(args.manifest).resolve():
        msg = f"-o {args.output} would overwrite the manifest being checked ({args.manifest})."
        raise InputError(msg, hint="Write the rebuilt pack under another name, e.g. -o pack-rebuilt.pdf.")
    manifest = Manifest.read(Path(args.manifest)) if args.manifest else None
    analysis = _analysed(args, settings, context)
    scenario = context.scenario
    from geo.audit.log import AuditLog

    # The log's head as the pack is made: a later audit verify --head MANIFEST proves it unaltered.
    audit_head = AuditLog(_store(args, settings)).head().to_dict()
    if manifest is not None:
        pack, changes = rebuild(
            manifest, analysis, scenario, settings=settings, context=context, audit_head=audit_head
        )
    else:
        filters = Filters.from_params(params)
        pack = build_pack(
            analysis,
            scenario,
            filters=filters,
            settings=settings,
            context=context,
            title=args.title,
            audit_head=audit_head,
        )
        changes = []
    image = None
    if args.image:
        from geo.filters import apply_filters

        # Drawn before anything is written: a bad --dpi leaves no half-written output.
        filters = Filters.from_params(pack.manifest.filters)
        image = map_image(
            apply_filters(analysis.reports, filters),
            scenario,
            filters=filters,
            settings=settings,
            size=args.size,
            dpi=args.dpi,
            fmt=image_format,
            store_hash=pack.manifest.store_hash,
        )
    pdf, manifest_file = write_pack(pack, Path(args.output))
    figures = pack.manifest.figures
    print(
        f"wrote {pdf} and {manifest_file}: {figures['reports']} reports, {figures['events']} events, "
        f"{figures['likely_violations']} likely and {figures['possible_violations']} possible violations"
    )
    if image is not None:
        Path(args.image).write_bytes(image)
        print(f"wrote {args.image}")
    if manifest is None:
        return EXIT_OK
    if not changes:
        print(f"rebuilt from {args.manifest}: the same data and the same figures")
        return EXIT_OK
    for line in changes:
        print(f"differs: {line}")
    return EXIT_INVALID


def cmd_batches(args: argparse.Namespace, settings: Settings) -> int:
    """List the stored batches; a retracted one says when, by whom and why (the restorations too)."""
    import pandas as pd

    table = _store(args, settings).batches()
    if table.empty:
        print("no batches stored")
        return EXIT_OK
    status = [
        f"retracted {r.retracted_at:%Y-%m-%d %H:%M} UTC by {r.retracted_by or 'unnamed'}: {r.retract_reason or ''}"
        if pd.notna(r.retracted_at)
        else "active"
        + (
            f" (restored {r.restored_at:%Y-%m-%d %H:%M} UTC by {r.restored_by or 'unnamed'}: {r.restore_reason or ''})"
            if pd.notna(r.restored_at)
            else ""
        )
        for r in table.itertuples(index=False)
    ]
    shown = table[["batch_id", "filename", "uploaded_at", "uploader", "accepted", "rejected", "duplicates"]]
    print(shown.assign(status=status).to_string(index=False))
    return EXIT_OK


def cmd_retract(args: argparse.Namespace, settings: Settings) -> int:
    """Retract a batch: its reports leave every view (those a later batch also carried stay); they,
    the batch record and its file are kept, with who retracted it and why."""
    hidden = _store(args, settings).retract_batch(args.batch_id, reason=args.reason)
    print(
        f"retracted batch {args.batch_id}: {hidden} reports left view (kept in the store; "
        f"python -m geo restore {args.batch_id} --reason TEXT shows them again)"
    )
    return EXIT_OK


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    """Restore a retracted batch: its reports are shown again, with who restored it and why."""
    shown = _store(args, settings).restore_batch(args.batch_id, reason=args.reason)
    print(f"restored batch {args.batch_id}: {shown} reports back in view")
    return EXIT_OK


def _analysis_inputs(args: argparse.Namespace, settings: Settings):  # -> (frame, scenario, agreement)
    """Read the reports (a file or the store) and the scenario and agreement, with any overrides."""
    from geo.rules import load_agreement
    from geo.scenario import load_scenario

    if args.input == "store":
        frame = _store(args, settings).incidents()
    else:
        from geo.ingest import read_batch

        data, name = _read_input(args.input, settings)
        result = read_batch(data, filename=name, settings=settings)
        if result.n_features and result.accepted.empty:
            msg = f"All {result.n_features} features of {name} were rejected: there is nothing to analyse."
            raise InputError(msg, hint=f"See why with: python -m geo validate {args.input}")
        if result.rejected:
            print(
                f"warning: {len(result.rejected)} of {result.n_features} features were rejected and are left out "
                f"(see: python -m geo validate {args.input})",
                file=sys.stderr,
            )
        frame = result.accepted
    overrides = {
        name: Path(path)
        for name, path in (
            ("contact_line.geojson", args.line),
            ("control_areas.geojson", args.control),
            ("zones.geojson", args.zones),
            ("posts.geojson", args.posts),
        )
        if path
    }
    scenario = load_scenario(_scenario_dir(args, settings), overrides=overrides)
    agreement = load_agreement(Path(args.agreement) if args.agreement else settings.agreement_path)
    return frame, scenario, agreement


def _sectors(args: argparse.Namespace, settings: Settings, scenario):  # -> GeoDataFrame | None
    """The scenario folder's sectors, refused when they lie along another line than the one passed."""
    from geo.pipeline import scenario_sectors
    from geo.scenario.sectors import SECTORS_FILE, check_sectors_fit

    folder = _scenario_dir(args, settings)
    sectors = scenario_sectors(folder)
    if sectors is not None and getattr(args, "line", None):
        check_sectors_fit(
            sectors, scenario.lines, sectors_file=folder / SECTORS_FILE, line_file=Path(args.line)
        )
    return sectors


def cmd_enrich(args: argparse.Namespace, settings: Settings) -> int:
    """Write the reports with distance to the line, side, zones and estimated fire origin."""
    from geo.export import export_incidents
    from geo.pipeline import enrich

    frame, scenario, _ = _analysis_inputs(args, settings)
    enriched = enrich(frame, scenario, sectors=_sectors(args, settings, scenario), threshold=args.threshold)
    export_incidents(enriched, Path(args.output), format=args.format)
    print(f"wrote {len(enriched)} enriched reports to {args.output}")
    return EXIT_OK


def cmd_flag(args: argparse.Namespace, settings: Settings) -> int:
    """Write the reports enriched, merged into events, scored and flagged, with the reasons."""
    from geo.export import export_incidents
    from geo.pipeline import enrich, flag, with_reasons

    frame, scenario, agreement = _analysis_inputs(args, settings)
    sectors = _sectors(args, settings, scenario)
    result = flag(enrich(frame, scenario, sectors=sectors, threshold=args.threshold), scenario, agreement)
    export_incidents(with_reasons(result.reports, result), Path(args.output), format=args.format)
    levels = result.events["flag_level"].value_counts()
    print(
        f"wrote {len(result.reports)} reports in {len(result.events)} events to {args.output}: "
        + ", ".join(f"{levels.get(k, 0)} {k}" for k in ("likely", "possible", "unlikely"))
    )
    return EXIT_OK


def cmd_patterns(args: argparse.Namespace, settings: Settings) -> int:
    """Write surges, hotspots, space-time clusters and distance profiles of the reports to a folder."""
    from geo.patterns import PatternParams, find_patterns
    from geo.patterns.files import write_patterns
    from geo.pipeline import enrich

    frame, scenario, _ = _analysis_inputs(args, settings)
    sectors = _sectors(args, settings, scenario)
    params = PatternParams(alpha=args.alpha, resolution=args.resolution)
    found = find_patterns(
        enrich(frame, scenario, sectors=sectors), sectors=sectors, zones=scenario.zones, params=params
    )
    write_patterns(found, Path(args.output))
    surges = found.surges["rule"].value_counts()
    print(
        f"wrote the patterns of {len(frame)} reports to {args.output}: "
        f"{surges.drop('acled_week', errors='ignore').sum()} surge days, "
        f"{surges.get('acled_week', 0)} ACLED-rule surges, "
        f"{(found.hotspots['level'] != '').sum()} hot or cold cells, "
        f"{int(found.clusters['significant'].sum())} significant clusters"
    )
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Regenerate the demo files, or load them into the store (``--store``)."""
    from geo import demo

    if args.regenerate:
        demo.build_scenario()
        demo.write_demo()
        print("regenerated data/scenario and data/demo")
    if args.load:
        store = _store(args, settings)
        from geo.ingest import read_batch

        for path in sorted(demo.DEMO_DIR.glob("*.geojson")):
            data = path.read_bytes()
            receipt = store.add_batch(read_batch(data, filename=path.name, settings=settings), original=data)
            print(f"{path.name}: {receipt.message}")
    return EXIT_OK


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    """Apply the PostGIS store's pending migrations (geo/store/migrations) and say which."""
    from geo.store.migrate import migrate, shown

    if not str(args.store).startswith(("postgresql://", "postgres://")):
        msg = f"python -m geo migrate takes a PostGIS store's URL, not {args.store!r}."
        raise InputError(
            msg,
            hint="Give --store postgresql://USER@HOST:PORT/DATABASE; a GeoPackage store needs no migrating.",
        )
    applied, had = migrate(args.store)
    for m in applied:
        print(f"applied {m.label}")
    last = (applied or had)[-1].label if applied or had else "none"
    print(f"{shown(args.store)} is at migration {last} ({len(applied)} applied now, {len(had)} before)")
    return EXIT_OK


def cmd_migrate_store(args: argparse.Namespace, settings: Settings) -> int:
    """Copy a GeoPackage store into a new PostGIS store, compare the two and print the comparison."""
    from geo.store import is_url
    from geo.store.transfer import migrate_store

    if is_url(args.source) or not is_url(args.target):
        msg = f"migrate-store copies a GeoPackage file into a PostGIS store, not {args.source!r} into {args.target!r}."
        raise InputError(msg, hint="Give --from PATH/store.gpkg --to postgresql://USER@HOST:PORT/DATABASE.")
    for line in migrate_store(Path(args.source), args.target).lines():
        print(line)
    return EXIT_OK


def cmd_analyse(args: argparse.Namespace, settings: Settings) -> int:
    """Bring the stored analysis up to date and say what it did: the counts and the seconds per stage."""
    from geo.pipeline import analyse
    from geo.refresh import refresh_store

    store = _store(args, settings)
    timings = _progress()
    context = _context(args, settings)
    scenario_dir, agreement_path = context.scenario_dir, context.agreement_path
    result, done = refresh_store(
        store, scenario_dir=scenario_dir, agreement_path=agreement_path, timings=timings
    )
    levels = result.events["flag_level"].value_counts() if len(result.events) else {}
    print(
        f"{done.summary()}\n{len(result.reports):,} reports in {len(result.events):,} events at store "
        f"revision {store.revision()} ("
        + ", ".join(f"{levels.get(k, 0):,} {k}" for k in ("likely", "possible", "unlikely"))
        + ")"
    )
    print(timings.table())
    if not args.check:
        return EXIT_OK
    from geo.incremental import differences, state_differences

    again = analyse(store.incidents(), scenario_dir=scenario_dir, agreement_path=agreement_path)
    # The analysis, and what its next update starts from (the stand-ins and surge tests kept with it).
    found = differences(result, again) + state_differences(result, again)
    if not found:
        print("check: the stored analysis equals a from-scratch analysis of the same reports")
        return EXIT_OK
    print(
        "check: the stored analysis differs from a from-scratch analysis:",
        *found,
        sep="\n  ",
        file=sys.stderr,
    )
    return EXIT_INVALID


def cmd_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    """Score the analysis on independent seeded worlds (and the demo month) against their truth."""
    from geo.evaluation.run import table
    from geo.evaluation.scores import evaluate_demo

    if args.demo:
        print("The demo month (data/demo):\n")
        print(evaluate_demo().as_table())
        print()
    errors = tuple(args.heard_errors) if args.heard_errors else None
    heard = f", heard errors {errors[0]:g} degrees and {errors[1]:g} in log distance" if errors else ""
    print(f"Independent worlds (geo/evaluation/world.py), {args.happenings} happenings each{heard}:\n")
    print(table(args.seeds, happenings=args.happenings, heard_errors=errors))
    if args.curve:
        from geo.evaluation.run import curve

        print("\nThe likely threshold on the same worlds:\n")
        print(curve(args.seeds, happenings=args.happenings, heard_errors=errors))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m geo``."""
    parser = argparse.ArgumentParser(prog="python -m geo", description="Ceasefire Monitor's engine.")
    parser.add_argument("--debug", action="store_true", help="show a traceback on unexpected errors")
    parser.add_argument(
        "--as", dest="as_user", metavar="NAME", help="act as this user of the users file (or CM_USER)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Command, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        # Also after the command (SUPPRESS: absent here, the top-level value stands).
        p.add_argument(
            "--debug",
            action="store_true",
            default=argparse.SUPPRESS,
            help="show a traceback on unexpected errors",
        )
        p.add_argument(
            "--as",
            dest="as_user",
            default=argparse.SUPPRESS,
            metavar="NAME",
            help="act as this user of the users file (or CM_USER); the password from CM_PASSWORD or a prompt",
        )
        return p

    def with_store(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--store",
            help="store: a GeoPackage file or a postgresql:// URL (default: the store_url or store_path setting)",
        )
        return p

    p = add("schema", cmd_schema, "print the incident JSON Schema (or docs/SCHEMA.md)")
    p.add_argument("--markdown", action="store_true", help="print docs/SCHEMA.md instead")

    p = add("validate", cmd_validate, "validate a batch file; exit 0 valid, 1 some invalid, 2 unreadable")
    p.add_argument("file", help="GeoJSON, GeoJSONSeq, zipped shapefile, GeoPackage, KML; - for stdin")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--limit", type=int, default=50, help="issues to print (default 50)")
    p.add_argument("--mapping", help="read a CSV through a column mapping: acled, ucdp or FILE.json")

    p = with_store(add("ingest", cmd_ingest, "validate and store a batch file; print a receipt"))
    p.set_defaults(action="upload")
    p.add_argument("file")
    p.add_argument("--strict", action="store_true", help="refuse the whole batch if any feature is invalid")
    p.add_argument(
        "--keep-rejected",
        action="store_true",
        help="store a file of which no feature is valid (its original and error report, no reports)",
    )
    p.add_argument("--json", action="store_true", help="print the receipt as JSON")
    p.add_argument("--limit", type=int, default=20, help="rejected-feature issues to print (default 20)")
    p.add_argument("--mapping", help="read a CSV through a column mapping: acled, ucdp or FILE.json")

    def with_filters(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--from", dest="start", help="first time, ISO 8601 (UTC if no offset)")
        p.add_argument(
            "--to", dest="end", help="last time, ISO 8601 (UTC if no offset); a date is the whole day"
        )
        p.add_argument(
            "--filter",
            action="append",
            metavar="KEY=VALUES",
            help="keep rows whose KEY is one of VALUES (comma-separated), as in the app's URL: type, weapon, "
            "source, reliability, sector, side, flag_level, dmin, dmax (km); repeatable",
        )
        return p

    p = with_filters(with_store(add("export", cmd_export, "export the stored reports the filters select")))
    p.add_argument("--format", choices=["geojson", "csv", "gpkg", "kml"], default="geojson")
    p.add_argument(
        "--with-analysis", action="store_true", help="add the analysis columns (distance, flag...)"
    )
    p.add_argument("-o", "--output", required=True, help="output file")

    p = with_filters(with_store(add("brief", cmd_brief, "write the PDF briefing pack and its manifest")))
    p.add_argument("-o", "--output", required=True, help="the PDF; its manifest is written beside it")
    p.add_argument("--manifest", help="rebuild the pack of this manifest and compare its figures")
    p.add_argument("--title", help="the cover's title")
    p.add_argument("--image", help="also write the map image (.png or .svg)")
    p.add_argument("--size", choices=["slide", "a4"], default="slide", help="map image size (default slide)")
    p.add_argument("--dpi", type=int, default=150, help="map image resolution (default 150)")

    for name, func, text in (
        ("enrich", cmd_enrich, "add distance to the line, side, zones and fire origin to each report"),
        ("flag", cmd_flag, "enrich, merge into events, score and flag likely violations with reasons"),
    ):
        p = with_store(add(name, func, text))
        p.add_argument("input", help="a file ingest accepts, or 'store' for the stored reports")
        p.add_argument("-o", "--output", required=True, help="output file")
        p.add_argument("--format", choices=["geojson", "csv", "gpkg"], default="geojson")
        p.add_argument(
            "--scenario",
            help="a scenario folder laid out as data/scenario (default: the committed one with this store's edits)",
        )
        p.add_argument("--line", help="contact line versions (default: the scenario's)")
        p.add_argument("--control", help="control areas (default: the scenario's)")
        p.add_argument("--zones", help="zones (default: the scenario's)")
        p.add_argument("--posts", help="observation posts (default: the scenario's)")
        p.add_argument("--agreement", help="agreement file (default: the agreement_path setting)")
        p.add_argument(
            "--threshold",
            type=float,
            default=ATTRIBUTION_THRESHOLD,
            help=f"side attribution threshold of a report's origin (default {ATTRIBUTION_THRESHOLD})",
        )

    p = with_store(add("patterns", cmd_patterns, "write surges, hotspots and space-time clusters"))
    p.add_argument("input", help="a file ingest accepts, or 'store' for the stored reports")
    p.add_argument("-o", "--output", required=True, help="output folder")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    p.add_argument("--resolution", type=int, default=6, help="H3 resolution of the hotspots (default 6)")
    for option in ("--scenario", "--line", "--control", "--zones", "--posts", "--agreement"):
        p.add_argument(option, help="as for flag (default: the scenario's)")

    with_store(add("batches", cmd_batches, "list stored batches"))
    p = with_store(
        add("retract", cmd_retract, "hide a stored batch's reports (kept; restore shows them again)")
    )
    p.set_defaults(action="retract")
    p.add_argument("batch_id")
    p.add_argument("--reason", required=True, help="why (kept with the batch and in the audit log)")
    p = with_store(add("restore", cmd_restore, "show a retracted batch's reports again"))
    p.set_defaults(action="restore")
    p.add_argument("batch_id")
    p.add_argument("--reason", required=True, help="why (kept with the batch and in the audit log)")

    p = with_store(
        add("analyse", cmd_analyse, "bring the stored analysis up to date; print what it did, per stage")
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="also analyse every report from scratch and compare (exit 1 and name what differs)",
    )

    p = add("migrate", cmd_migrate, "create or bring up to date the schema of a PostGIS store (issue 14)")
    p.add_argument("--store", required=True, metavar="URL", help="the store's postgresql:// URL")
    p.set_defaults(action="settings")

    p = add(
        "migrate-store",
        cmd_migrate_store,
        "copy a GeoPackage store into a new, migrated PostGIS store and compare them (docs/DEPLOY.md)",
    )
    p.add_argument("--from", dest="source", required=True, metavar="PATH", help="the GeoPackage store file")
    p.add_argument(
        "--to", dest="target", required=True, metavar="URL", help="the PostGIS store's postgresql:// URL"
    )
    p.set_defaults(action="settings")

    p = add("evaluate", cmd_evaluate, "score the analysis on seeded independent worlds against their truth")
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3], help="world seeds (default 1 2 3)")
    p.add_argument("--happenings", type=int, default=600, help="happenings per world (default 600)")
    p.add_argument("--demo", action="store_true", help="also score the demo month")
    p.add_argument("--curve", action="store_true", help="also give precision and recall at other thresholds")
    p.add_argument(
        "--heard-errors",
        type=float,
        nargs=2,
        metavar=("DEG", "LOG"),
        help="worlds whose heard bearings and log distances err by these standard deviations (default 12 0.4)",
    )

    p = with_store(add("demo", cmd_demo, "load the demo reports into the store, or regenerate them"))
    p.add_argument("--load", action="store_true", help="ingest data/demo/*.geojson into the store")
    p.add_argument("--regenerate", action="store_true", help="rebuild data/scenario and data/demo")
    p.set_defaults(action=lambda args: "upload" if args.load else None)

    from geo.cli_users import add_users_parser

    add_users_parser(add, with_store, _store)

    from geo.cli_audit import add_audit_parser

    add_audit_parser(add, with_store, _store)
    return parser


def _acting_user(args: argparse.Namespace, settings: Settings):  # -> geo.auth.User | None
    """The user a write command acts as, allowed to do its action (``action`` of its parser: a name in
    geo.auth.ACTIONS, or a function of the arguments giving one or None); None for a command that
    changes no record."""
    from geo.auth import require
    from geo.auth.signin import Attempts, cli_user, local_user
    from geo.auth.users import users_path

    action = getattr(args, "action", None)
    action = action(args) if callable(action) else action
    if action is None:
        return None
    name = getattr(args, "as_user", None) or os.environ.get("CM_USER") or None
    path = users_path(settings)
    if getattr(args, "first_user_ok", False) and path is not None and not path.exists() and not name:
        user = local_user()  # the first user of a new users file is added by whoever runs the machine
    else:
        prompt = getpass.getpass if sys.stdin.isatty() else None
        user = cli_user(settings, name, environ=os.environ, prompt=prompt, attempts=Attempts.new())
    require(user, action)
    return user


def _run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the command, as the acting user when it writes (geo.audit.acting_as: its audit entries)."""
    from geo.audit import acting_as

    user = _acting_user(args, settings)
    if user is None or user.name.startswith("local:"):
        return args.func(args, settings)  # the local user: geo.audit's single-user actor
    with acting_as(user.name):
        return args.func(args, settings)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _run(args, load_settings())
    except GeoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        print(f"error: cannot read or write{where}: {exc.strerror or exc}.", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"error: unexpected failure ({type(exc).__name__}: {exc}). Re-run with --debug and report it.",
            file=sys.stderr,
        )
        return EXIT_BUG
