from __future__ import annotations

import pytest

from batchport import nanp
from batchport.nanp import NpaKind


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        ("+12125550143", NpaKind.US),
        ("+14165550143", NpaKind.CA),
        ("+16045550101", NpaKind.CA),
        ("+18005550100", NpaKind.TOLL_FREE),
        ("+18885550100", NpaKind.TOLL_FREE),
        ("+19005550100", NpaKind.PREMIUM),
        ("+15005550100", NpaKind.NON_GEOGRAPHIC),
        ("+18765550100", NpaKind.OTHER_COUNTRY),
        ("+17875550100", NpaKind.OTHER_COUNTRY),
        ("+15555550100", NpaKind.UNASSIGNED),
        ("+12115550100", NpaKind.UNASSIGNED),
        ("+12121550100", NpaKind.UNASSIGNED),
        ("2125550143", NpaKind.UNASSIGNED),
    ],
)
def test_npa_kind(number: str, kind: NpaKind) -> None:
    assert nanp.npa_kind(number) is kind


def test_country_of_only_us_and_canada() -> None:
    assert nanp.country_of("+12125550143") == "US"
    assert nanp.country_of("+14165550143") == "CA"
    assert nanp.country_of("+18765550100") is None
