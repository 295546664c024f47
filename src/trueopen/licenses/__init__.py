"""The licence layer: identify licences in texts and metadata, and judge them by the MOF rule.

Rules and facts are data under trueopen/data/licenses/ (loaded on first use, once).
"""

from __future__ import annotations

from trueopen.licenses.custom import CUSTOM_PREFIX, identify_file
from trueopen.licenses.detect import identify_text, restrictive_markers, spdx_headers
from trueopen.licenses.names import expression_ids, identify_name
from trueopen.licenses.policy import is_open, is_type_appropriate
from trueopen.licenses.records import LicenseMatch, LicenseRecord, LicenseTerms, get_record, get_terms

__all__ = [
    "CUSTOM_PREFIX",
    "identify_file",
    "LicenseMatch",
    "LicenseRecord",
    "LicenseTerms",
    "expression_ids",
    "get_record",
    "get_terms",
    "identify_name",
    "identify_text",
    "is_open",
    "is_type_appropriate",
    "restrictive_markers",
    "spdx_headers",
]
