"""Execute one notebook headless with nbclient (the engine of `jupyter nbconvert --execute`).

Used by scripts/notebooks.ts. Why not the nbconvert CLI: tslab reports a failed cell only through
the execute_reply status (its message goes to stderr); it sends no `error` output. The CLI then
either stops without saving anything or (--allow-errors) saves a notebook with no error cell in
it. Here the failing cell gets a proper `error` output (so every tool that looks for error cells
sees it), execution stops at the first error, and the notebook is saved either way.

Usage: python3 nbexec.py IN.ipynb OUT.ipynb --cwd DIR [--timeout SEC] [--kernel NAME]
Prints one JSON line: {"ok", "executed": [cell indices], "error": {...} | null, "seconds"}.
"""

import argparse
import asyncio
import json
import re
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def stderr_text(cell):
    return "".join(
        "".join(o.get("text", "")) if isinstance(o.get("text"), list) else o.get("text", "")
        for o in cell.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stderr"
    )


def error_name(text):
    m = re.search(r"^\s*(?:Uncaught\s+)?([A-Za-z_$][\w$]*(?:Error|Exception))\b[:\s]?(.*)$", text, re.M)
    if m:
        return m.group(1), (m.group(2) or "").strip()
    if re.search(r"^\s*\d+:\d+ - ", text, re.M):
        first = next((ln for ln in text.splitlines() if ln.strip()), "")
        return "TypeScriptError", first.strip()
    first = next((ln for ln in text.splitlines() if ln.strip()), "cell failed (no message)")
    return "Error", first.strip()


def add_error_output(cell, ename, evalue, traceback_text):
    if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
        return
    cell.setdefault("outputs", []).append(
        nbformat.v4.new_output(
            "error",
            ename=ename,
            evalue=evalue,
            traceback=traceback_text.splitlines() or [f"{ename}: {evalue}"],
        )
    )


async def run(args):
    nb = nbformat.read(args.input, as_version=4)
    executed = []
    current = {"index": None}

    def on_cell_execute(cell, cell_index, **_):
        current["index"] = cell_index

    def on_cell_executed(cell, cell_index, execute_reply, **_):
        executed.append(cell_index)
        content = (execute_reply or {}).get("content", {})
        if content.get("status") == "error":
            text = stderr_text(cell)
            ename, evalue = content.get("ename"), content.get("evalue")
            if not ename:
                ename, evalue = error_name(text)
            add_error_output(cell, ename, evalue or "", text)

    client = NotebookClient(
        nb,
        timeout=args.timeout,
        kernel_name=args.kernel,
        resources={"metadata": {"path": args.cwd}},
        allow_errors=False,
        record_timing=False,
        on_cell_execute=on_cell_execute,
        on_cell_executed=on_cell_executed,
    )
    error = None
    t0 = time.monotonic()
    try:
        await asyncio.wait_for(client.async_execute(), timeout=args.timeout + 30)
    except CellExecutionError:
        pass  # the error output is already in the cell
    except (CellTimeoutError, asyncio.TimeoutError, TimeoutError):
        error = {"ename": "TimeoutError", "evalue": f"notebook did not finish within {args.timeout} s"}
    except DeadKernelError as e:
        error = {"ename": "DeadKernelError", "evalue": str(e).splitlines()[0] if str(e) else "kernel died"}
    except Exception as e:  # noqa: BLE001 - report whatever stopped the run
        error = {"ename": type(e).__name__, "evalue": str(e).splitlines()[0] if str(e) else ""}
    seconds = time.monotonic() - t0
    if error is not None:
        i = current["index"]
        if i is not None and 0 <= i < len(nb.cells):
            add_error_output(nb.cells[i], error["ename"], error["evalue"], stderr_text(nb.cells[i]))
            error["index"] = i
            if i not in executed:
                executed.append(i)
    for i, c in enumerate(nb.cells):
        if c.cell_type == "code" and any(o.get("output_type") == "error" for o in c.get("outputs", [])):
            o = next(o for o in c.outputs if o.output_type == "error")
            error = {"index": i, "ename": o.get("ename", "Error"), "evalue": o.get("evalue", "")}
            break
    nbformat.write(nb, args.output)
    return {"ok": error is None, "executed": sorted(executed), "error": error, "seconds": round(seconds, 3)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--cwd", required=True)
    p.add_argument("--timeout", type=int, default=600)
    p.add_argument("--kernel", default="tslab")
    args = p.parse_args()
    summary = asyncio.run(run(args))
    sys.stdout.write(json.dumps(summary) + "\n")


if __name__ == "__main__":
    main()
