"""FHIR R4 read API, Bulk Data export and the patient's copy.

This app's package is named `fhir`, like the namespace of the `fhir.resources`
library the tests validate with. `extend_path` lets `import fhir.resources`
find the library's sub-package next to ours; for that reason our own mappings
live in `fhir.mappings`, never in a `fhir/resources/` folder (it would hide the
library).
"""

from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)
