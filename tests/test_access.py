"""Who is who (nst.access): roles, the constant-time token check and the guest limits."""

from nst import access
from nst.params import StyleParams, with_quality


def test_without_sharing_everyone_is_the_owner_and_with_it_only_the_grant():
    assert not access.sharing({}) and access.sharing({"NST_SHARE": "1"})
    assert access.is_owner(share=False, granted=False)
    assert access.role(share=True, granted=False) == access.GUEST
    assert access.is_owner(share=True, granted=True)


def test_token_must_match_exactly_and_empty_never_matches():
    assert access.token_matches("abc123", "abc123")
    assert not access.token_matches("abc124", "abc123")
    assert not access.token_matches("", "")
    assert not access.token_matches(None, "abc")


def test_guest_paint_limits():
    standard = with_quality(StyleParams(size=512), "Standard")
    assert access.guest_params_error(standard) is None
    assert access.guest_params_error(with_quality(standard, "Preview")) is None
    assert "512 px" in access.guest_params_error(standard.replace(size=1024))
    for costlier in (with_quality(standard, "High"), with_quality(standard, "Print"),
                     standard.replace(iteration_decay=1.0), standard.replace(iterations=81)):
        assert "Standard" in access.guest_params_error(costlier)
    timed = standard.replace(scales=1, iterations=100_000)
    assert access.guest_params_error(timed.replace(time_limit=60.0)) is None  # a method comparison's run
    assert "Standard" in access.guest_params_error(timed.replace(time_limit=600.0))
    assert access.guest_params_error(standard, n_items=4) is None
    assert "2 × 2" in access.guest_params_error(standard, n_items=9)
