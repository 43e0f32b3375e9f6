"""Hostile uploads benchmark (issue 12 points 7, 8, 9): the time and peak memory of the worst uploads against a
normal upload of the same kind, measured in the same run.

Each case runs in a fresh Python process (so one case's memory never hides another's): the process imports the
app, reads its input file, notes its resident memory, runs the one call an upload reaches (``clean_image``,
``read_roster_file``, ``read_xlsform``, a form's expressions) and prints its wall time and how far its peak resident
memory (VmHWM, reset before the call) rose above that. Inputs are built once by the parent, in a temporary folder. The "unguarded"
cases do what the code did before the guards (decode the whole PNG; let openpyxl pad to the declared dimension),
for the ratio; skip them with --quick.

    .venv/bin/python bench/hostile_uploads.py [--quick]
"""
import argparse
import io
import json
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# --- inputs (built in the parent) ----------------------------------------------------------------------------------

def _jpeg(size) -> bytes:
    from PIL import Image
    image = Image.radial_gradient("L").resize(size).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def _png(size, mode="RGB") -> bytes:
    from PIL import Image
    image = Image.linear_gradient("L").resize(size).convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=9)
    return buffer.getvalue()


def _roster(rows: int, columns: int = 12) -> bytes:
    from openpyxl import Workbook

    from participation.roster.files import HEADERS
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(list(HEADERS) + [f"备注{n}" for n in range(columns - len(HEADERS))])
    for n in range(rows):
        row = ["NG001", "幸福里", str(n // 400 + 1), str(n // 40 % 10 + 1), f"{n % 40 // 2 + 1}{n % 2 + 1:02d}",
               n % 40 // 2 + 1, 56.78, f"业主{n}", None, f"住户{n}", f"138{n:08d}", "自住"]
        sheet.append(row + [f"说明{n}" for _ in range(columns - len(HEADERS))])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _rewrite(data: bytes, name: str, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            target.writestr(info.filename, change(body) if info.filename == name else body)
    return out.getvalue()


def _dimension_bomb() -> bytes:
    """The issue's file: a small roster whose sheet declares A1:XFD2000, with an empty cell at A2000."""
    def declare(body):
        body = re.sub(rb"<dimension ref=\"[^\"]*\"\s*/>", b"", body)
        body = body.replace(b"</sheetData>", b'<row r="2000"><c r="A2000" t="inlineStr"><is><t></t></is></c></row>'
                                              b"</sheetData>")
        return re.sub(rb"(<sheetPr>.*?</sheetPr>)", rb'\1<dimension ref="A1:XFD2000"/>', body, count=1, flags=re.S)
    return _rewrite(_roster(8), "xl/worksheets/sheet1.xml", declare)


def _zip_bomb() -> bytes:
    """60 MB of sheet XML (blanks) in a file of some 60 KB."""
    return _rewrite(_roster(8), "xl/worksheets/sheet1.xml",
                    lambda body: body.replace(b"<sheetData>", b"<sheetData>" + b" " * 60_000_000))


def _wide_rows() -> bytes:
    """2,000 rows each with one cell at column XFD: padded, 33 million cells."""
    cells = b"".join(b'<row r="%d"><c r="XFD%d" t="inlineStr"><is><t>x</t></is></c></row>' % (n, n)
                     for n in range(2, 2002))
    return _rewrite(_roster(0), "xl/worksheets/sheet1.xml",
                    lambda body: re.sub(rb"<sheetData>.*</sheetData>|<sheetData/>",
                                        b"<sheetData>" + cells + b"</sheetData>", body, flags=re.S))


def _many_cells() -> bytes:
    """Some 62 MB of real cells in one sheet, within the upload size and the unpacked-size and ratio limits:
    refused by the count of cells, after reading all of it."""
    cells = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c><c r="B%d"><v>%d</v></c></row>'
                     % (n, n, n, n, n * 7) for n in range(2, 720_000))
    return _rewrite(_roster(0), "xl/worksheets/sheet1.xml",
                    lambda body: re.sub(rb"<sheetData>.*</sheetData>|<sheetData/>",
                                        b"<sheetData>" + cells + b"</sheetData>", body, flags=re.S))


def _regex_form() -> bytes:
    return json.dumps({"count": 60, "pattern": "(a|aa)+$", "value": "a" * 60 + "b"}).encode()


def _regex_form_ordinary() -> bytes:
    return json.dumps({"count": 60, "pattern": "^1[3-9][0-9]{9}$", "value": "13912345678"}).encode()


CASES = [
    # (name, kind, builder, the baseline's family or None when it is one, unguarded)
    ("photo: 12 MP phone JPEG (baseline)", "photo", lambda: _jpeg((4000, 3000)), None, False),
    ("photo: 16 MP PNG, the largest accepted", "photo", lambda: _png((4600, 3450)), "photo", False),
    ("photo: 12 MP PNG with transparency, the largest", "photo", lambda: _png((4000, 3000), "RGBA"), "photo", False),
    ("photo: 24 MP PNG (refused)", "photo", lambda: _png((5600, 4200)), "photo", False),
    ("photo: 50 MP phone JPEG (decoded at 1/4)", "photo", lambda: _jpeg((8160, 6120)), "photo", False),
    ("photo: 59 MP PNG (refused)", "photo", lambda: _png((8000, 7400)), "photo", False),
    ("photo: 59 MP PNG decoded whole, as before", "decode", lambda: _png((8000, 7400)), "photo", True),
    ("photo: 59 MP PNG, the code before (60 MP limit)", "photo-old", lambda: _png((8000, 7400)), "photo", True),
    ("roster: 2,000 rows .xlsx (baseline)", "roster", lambda: _roster(2_000), None, False),
    ("roster: 20,000 rows .xlsx, the most accepted", "roster", lambda: _roster(20_000), "roster", False),
    ("roster: 20,000 rows × 15 columns (300,000 cells)", "roster", lambda: _roster(20_000, 15), "roster", False),
    ("roster: 20,000 rows × 30 columns (refused)", "roster", lambda: _roster(20_000, 30), "roster", False),
    ("roster: dimension bomb A1:XFD2000", "roster", _dimension_bomb, "roster", False),
    ("roster: dimension bomb read as before (openpyxl pads)", "padded", _dimension_bomb, "roster", True),
    ("roster: 2,000 rows reaching column XFD (refused)", "roster", _wide_rows, "roster", False),
    ("roster: zip bomb, 60 MB of XML in 60 KB (refused)", "roster", _zip_bomb, "roster", False),
    ("roster: 62 MB of real cells in the sheet (refused)", "roster", _many_cells, "roster", False),
    ("roster: .csv of one 16 MB line (refused)", "roster-csv", lambda: b"a,b\n" + b"," * 16_000_000, "roster", False),
    ("xlsform: zip bomb (refused)", "xlsform", _zip_bomb, "roster", False),
    ("form: 60 ordinary regex() constraints (baseline)", "regex", _regex_form_ordinary, None, False),
    ("form: 60 catastrophic regex() constraints", "regex", _regex_form, "form", False),
]


# --- one case (in its own process) ---------------------------------------------------------------------------------

def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)


def _reset_peak() -> None:
    """Start the high-water mark (VmHWM) again from the current resident size (Linux ≥ 4.0)."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")


def run_case(kind: str, path: str) -> dict:
    from app import create_app
    from participation.roster.files import RosterImportError, read_roster_file
    from participation.uploads import UploadError, clean_image
    from surveys.answering.expressions import RegexTimeout, is_true, one_budget
    from surveys.xlsform.common import XLSFormError
    from surveys.xlsform.reading import read_xlsform

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "bench"})
    data = Path(path).read_bytes()
    with app.test_request_context("/"):
        _reset_peak()
        base = _status_kb("VmRSS")
        started = time.perf_counter()
        outcome = "accepted"
        try:
            if kind == "photo":
                clean_image(data)
            elif kind == "decode":
                from PIL import Image
                Image.MAX_IMAGE_PIXELS = None
                with Image.open(io.BytesIO(data)) as image:
                    image.load()
                    image.thumbnail((1600, 1600))
            elif kind == "photo-old":   # clean_image before issue 12: a 60 MP limit, then a full decode
                from PIL import Image, ImageOps
                with Image.open(io.BytesIO(data)) as probe:
                    assert probe.width * probe.height <= 60_000_000
                    probe.verify()
                image = Image.open(io.BytesIO(data))
                image.draft("RGB", (1600, 1600))
                upright = ImageOps.exif_transpose(image)
                upright.thumbnail((1600, 1600), Image.Resampling.LANCZOS)
                upright.convert("RGB")
            elif kind in ("roster", "roster-csv"):
                read_roster_file(data, "bench.csv" if kind == "roster-csv" else "bench.xlsx")
            elif kind == "padded":
                from openpyxl import load_workbook
                book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
                [list(values) for values in book.worksheets[0].iter_rows(values_only=True)]
                book.close()
            elif kind == "xlsform":
                read_xlsform(data, "bench.xlsx")
            elif kind == "regex":
                spec = json.loads(data)
                expression = f"regex(., '{spec['pattern']}')"

                @one_budget
                def evaluate_form():
                    refused = 0
                    for _ in range(spec["count"]):
                        try:
                            refused += not is_true(expression, {}, current=spec["value"])
                        except RegexTimeout:
                            refused += 1
                    return refused
                outcome = f"{evaluate_form()} of {spec['count']} refused"
        except (UploadError, RosterImportError, XLSFormError) as error:
            outcome = f"refused: {error}"[:90]
        seconds = time.perf_counter() - started
        peak = _status_kb("VmHWM")
    return {"seconds": seconds, "mb": max(0, peak - base) / 1024, "outcome": outcome}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="skip the unguarded (old behaviour) cases")
    parser.add_argument("--only", help="run only the cases whose name contains this text (and their baselines)")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.input)))
        return
    results = []
    baselines = {}
    with tempfile.TemporaryDirectory() as folder:
        for index, (name, kind, build, baseline, unguarded) in enumerate(CASES):
            if (unguarded and args.quick) or (args.only and baseline and args.only not in name):
                results.append(None)
                continue
            path = Path(folder) / f"case{index}"
            path.write_bytes(build())
            size = path.stat().st_size
            done = subprocess.run([sys.executable, __file__, "--case", kind, "--input", str(path)],
                                  capture_output=True, text=True, cwd=ROOT, check=True)
            result = json.loads(done.stdout.strip().splitlines()[-1])
            results.append(result)
            if baseline is None:
                baselines[name.split(":")[0]] = result
            line = f"{name:52} {size / 1024:9.1f} KB {result['seconds']:7.3f} s {result['mb']:7.1f} MB"
            if baseline is not None and baseline in baselines:
                base = baselines[baseline]
                line += (f"   ×{result['seconds'] / max(base['seconds'], 1e-4):7.1f} time"
                         f"  ×{result['mb'] / max(base['mb'], 1.0):5.1f} memory")
            print(line)
            print(f"{'':52} {result['outcome']}")


if __name__ == "__main__":
    main()
