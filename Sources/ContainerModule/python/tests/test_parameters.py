import importlib

import pytest


def test_typed_parameters(gosmart):
    gosmart.setup(False)
    from gosmart.parameters import P
    assert P.SIMULATION_SCALING == 0.001
    assert P["MAX_ITERATIONS"] == 12 and isinstance(P.MAX_ITERATIONS, int)
    assert P.USE_ADAPTIVE is False
    assert P.VERBOSE is True
    assert P.LABEL == "rfa"
    assert P.NEEDLE_TIP == [0.0, 14.0, 0.5]
    assert P.NOTHING is None
    assert P.FREEFORM == "not json"
    with pytest.raises(KeyError):
        P["MISSING"]
    assert not hasattr(P, "MISSING")
    assert P.get("MISSING", 5) == 5


def test_setting_parameters_converts(gosmart):
    from gosmart.parameters import P
    P["NEW"] = ["integer", "7"]
    P.OTHER = 3.5
    assert P.NEW == 7 and P.OTHER == 3.5


def test_needle_parameters(gosmart):
    from gosmart.parameters import NP
    assert sorted(NP.keys()) == ["1", "2"]
    assert NP["1"].NEEDLE_TIP_LOCATION == [0.0, 14.0, 0.0]
    assert NP["1"].POWER == 200.0
    assert NP["2"].needle_class == "solid-boundary"
    assert NP["1"].needle_input == "library:rfa-cylinder-1"


def test_regions(gosmart):
    from gosmart.parameters import R, region_dict
    assert set(R.keys()) == {"organ-1", "vessel-2", "needle-1", "tumour-4"}
    assert region_dict["organ-1"]["meaning"] == "organ"
    organ = R["organ-1"]
    assert organ.idx == 3 and organ.meshed_as == "zone" and organ.filename == "input/organ-1.stl"
    assert organ.am("organs") and not organ.am("vessels")
    assert R["needle-1"].filename == "mesher/needle-1.vtp"
    assert R["tumour-4"].idx is None
    assert [r.idx for r in R.group("organs")] == [3]
    assert [r.key for r in R.group("all")] == ["organ-1", "vessel-2"]
    assert R.group("no-such-group") is None
    assert R.zone(3) is organ and R.zone(7) is None
    assert R.surface(9).key == "needle-1"
    # Fixed (original bug 19): meshed_as filters by the kind asked for.
    assert [r.key for r in R.meshed_as("surface")] == ["needle-1", "vessel-2"]
    assert [r.key for r in R.meshed_as("zone")] == ["organ-1"]
    assert [r.key for r in R.values() if r.am("needles")] == ["needle-1"]


def test_setup_finds_declared_parameters_next_to_caller(gosmart, rundir):
    # The caller (this test file) has no parameters.yml beside it, nor input/; the shared root has one.
    shared = rundir / "shared" / "input"
    shared.mkdir(parents=True)
    (shared / "parameters.yml").write_text("SIMULATION_SCALING: [float, '0.001']\n")
    gosmart.setup(check_declared=True)
    assert gosmart._declared == {"SIMULATION_SCALING"}
    from gosmart.parameters import P
    assert P.SIMULATION_SCALING == 0.001
    with pytest.raises(KeyError) as info:
        P.LABEL
    assert str(info.value) == (
        "You have asked for an undeclared parameter, [LABEL], please check your gosmart.setup(...) call.")


def test_search_order_prefers_run_directory(gosmart, rundir):
    for where, names in (("shared/output/run", "A: 1\nB: 2\n"), ("shared/input", "C: 1\n")):
        (rundir / where).mkdir(parents=True, exist_ok=True)
        (rundir / where / "parameters.yml").write_text(names)
    gosmart.setup()
    assert gosmart._declared == {"A", "B"}


def test_setup_variants(gosmart, rundir):
    gosmart.setup({"X": 1, "LABEL": 2}, check_declared=True)
    from gosmart.parameters import P
    assert P.LABEL == "rfa"
    with pytest.raises(KeyError):
        P.SIMULATION_SCALING
    gosmart.setup(["SIMULATION_SCALING"], check_declared=True)
    assert P.SIMULATION_SCALING == 0.001
    (rundir / "declared.yml").write_text("- LABEL\n")
    gosmart.setup(str(rundir / "declared.yml"))
    assert gosmart._declared == {"LABEL"}
    with pytest.raises(gosmart.GlossiaParameterLoadingError):
        gosmart.setup(str(rundir / "missing.yml"))


def test_setup_without_any_parameter_file_raises(gosmart, rundir):
    (rundir / "input" / "parameters.yml").unlink()
    with pytest.raises(gosmart.GlossiaParameterLoadingError):
        gosmart.setup()


def test_prefix_reloads(gosmart, rundir):
    from gosmart.parameters import P
    other = rundir / "elsewhere"
    other.mkdir()
    (other / "parameters.yml").write_text("ONLY: [integer, '5']\n")
    gosmart.setup(False, prefix=str(other))
    assert dict(P) == {"ONLY": 5}


def test_broken_yaml_names_the_file(gosmart, rundir):
    (rundir / "input" / "regions.yml").write_text("organ: [unclosed\n")
    with pytest.raises(gosmart.GlossiaParameterLoadingError) as info:
        importlib.import_module("gosmart.parameters")
    assert "regions.yml" in str(info.value)


def test_dicts_sets_up_automatically(gosmart, rundir):
    (rundir / "parameters.yml").write_text("LABEL: x\n")
    dicts = importlib.import_module("gosmart.dicts")
    assert gosmart._setup_done and gosmart._declared == {"LABEL"}
    assert dicts.P.LABEL == "rfa"


def test_mesh_labelling_is_merged_into_regions(rundir):
    (rundir / "input" / "mesh_labelling.yml").write_text(
        "tumour-4: {meshed_as: zone, id: 5, filename: tumour-4.stl, groups: [tumours]}\n"
        "tissue: {meshed_as: zone, id: 1, filename: null, groups: [tissue]}\n"
        "needle-2 inactive: {meshed_as: surface, id: 11, filename: null, groups: [needles-inactive]}\n")
    from conftest import fresh_gosmart
    fresh_gosmart()
    from gosmart.parameters import R
    tumour = R["tumour-4"]
    assert tumour.idx == 5 and tumour.meshed_as == "zone" and tumour.filename == "input/tumour-4.stl"
    assert tumour.groups == ["all", "tumour-4", "tumours"]
    assert R["tissue"].idx == 1 and R["tissue"].am("all")
    assert R.surface(11).key == "needle-2 inactive"
    assert [r.key for r in R.group("needles-inactive")] == ["needle-2 inactive"]
    # Regions the mesher did not label keep what regions.yml said.
    assert R["organ-1"].idx == 3
