"""Turns `gssa mesh --plan`'s mesh_plan.json into raw_cgal_domain's input lines (see that file)."""
import json
import sys

plan = json.load(open(sys.argv[1]))["settings"]
params = {
    "nearField": "near_field", "farField": "far_field", "zoneField": "zone_field", "granularity": "granularity",
    "centreRadius": "centre_radius", "zoneRadius": "zone_radius", "boundingRadius": "bounding_radius",
    "tissueID": "tissue_id", "extentID": "extent_id", "markZoneBoundaries": "mark_zone_boundaries",
    "solidZone": "solid_zone", "boundaryTree": "boundary_tree", "omitNeedleTree": "omit_needle_tree",
    "omitZoneTree": "omit_zone_tree", "denseCentre": "dense_centre",
}
for key, name in params.items():
    value = plan.get(key)
    if value is None:
        value = -1 if key == "extentID" else 0  # as the Swift side passes a missing one
    print(f"param {name} {float(value)!r}")
if plan.get("centre") is not None:
    for axis, value in zip("xyz", plan["centre"]):
        print(f"param centre_{axis} {float(value)!r}")
for region in plan["regions"]:
    head = f"{region['role']} {region['id']} {float(region.get('characteristicLength') or 0)!r} {region['priority']}"
    geometry = region["geometry"]
    if "surface" in geometry:
        print(f"surface {head} {geometry['surface']}")
    else:
        c = geometry["cylinder"]
        print("cylinder", head, *(repr(float(v)) for v in c["from"] + c["to"]), repr(float(c["radius"])))
    if region.get("activity"):
        a = region["activity"]
        print("activity", *(repr(float(v)) for v in a["offset"]), repr(float(a["radius"])), a["inactiveID"])
