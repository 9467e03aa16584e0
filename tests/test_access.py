"""Who is who (nst.access): roles, the constant-time token check and the guest limits."""

from nst import access


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
    assert access.guest_params_error(512, 3, 80) is None
    assert "512 px" in access.guest_params_error(1024, 3, 80)
    assert "Standard" in access.guest_params_error(512, 5, 80)  # Print
    assert "2 × 2" in access.guest_params_error(256, 2, 50, n_items=9)

