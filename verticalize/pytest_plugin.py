"""pytest plugin (entry point ``pytest11: verticalize``): golden-output checks in tests.

    def test_render_matches_golden(verticalize_verify, tmp_path):
        verticalize.run(["clip.mp4"], tmp_path, opts=...)
        verticalize_verify(tmp_path, "tests/golden/clip", min_ssim=0.98)

The fixture's callable fails the test with the report's failing lines. Run
``pytest --verticalize-update-goldens`` to copy the outputs over the goldens
instead (on purpose: after a change that should alter the pictures).

Only pytest is imported at load time, so the plugin costs nothing in test
runs that do not use it.
"""
from __future__ import annotations

import pytest

_updated_key = pytest.StashKey[list]()  # goldens rewritten in this session


def pytest_addoption(parser):
    group = parser.getgroup("verticalize")
    group.addoption("--verticalize-update-goldens", action="store_true", default=False,
                    help="verticalize_verify rewrites each golden from the outputs instead of comparing")


@pytest.fixture
def verticalize_verify(request):
    """A callable ``verify(outdir, golden, **thresholds) -> Report | None``.

    Thresholds are ``verticalize.verify.Thresholds`` fields (``min_ssim``,
    ``min_psnr_db``, ``frame_tolerance``, ``crop_tolerance_px``, ``vmaf``,
    ``min_vmaf``). Fails the test with one line per failed check; with
    ``--verticalize-update-goldens`` it updates ``golden`` and returns None.
    """
    update = request.config.getoption("verticalize_update_goldens", default=False)

    def verify(outdir, golden, **thresholds):
        from verticalize.errors import VerticalizeError

        if update:
            from verticalize.golden import update_golden

            try:
                update_golden(outdir, golden)
                problem = None
            except VerticalizeError as e:
                problem = f"golden update failed: {e}"
            if problem:
                pytest.fail(problem, pytrace=False)
            request.config.stash.setdefault(_updated_key, []).append(str(golden))
            return None
        from verticalize.verify import DEFAULT_THRESHOLDS, verify as run_verify

        try:
            report, problem = run_verify(outdir, golden, DEFAULT_THRESHOLDS.with_(**thresholds)), None
        except VerticalizeError as e:
            report, problem = None, f"verify could not run: {e} (create goldens with --verticalize-update-goldens)"
        if problem:  # failed outside the except block: no chained traceback in the test's report
            pytest.fail(problem, pytrace=False)
        if not report.ok:
            lines = report.failure_lines()
            pytest.fail(f"{len(lines)} of {len(report.checks)} checks failed against {golden}:\n"
                        + "\n".join(lines), pytrace=False)
        return report

    return verify



def pytest_terminal_summary(terminalreporter, exitstatus, config):
    updated = config.stash.get(_updated_key, [])
    if updated:
        terminalreporter.write_sep("-", "verticalize goldens updated")
        for path in updated:
            terminalreporter.write_line(path)
