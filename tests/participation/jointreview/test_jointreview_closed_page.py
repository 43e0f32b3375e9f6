"""A joint review an administrator completed with cells still unsigned: the page says so and why, and the unsigned
cells no longer read as a to-do ("waiting"), while an open review still shows them waiting."""
import re

from participation.extensions import db
from participation.jointreview.operations import close_review, open_review, sign_off


def url(world):
    return f"/c/{world.community.code}/joint-review"


def test_unsigned_cells_of_a_review_closed_by_an_admin_are_not_a_to_do(client, auth, world):
    review = open_review(world.organiser, world.community)
    sign_off(world.dept_user, review, world.items[0], "approved", None)
    db.session.commit()
    auth.login("org")
    page = client.get(url(world)).get_data(as_text=True)
    assert "3 waiting." in page and 'id="closed-by-decision"' not in page
    assert "Not signed (completed by an administrator)" not in page
    assert page.count('class="badge warn">Waiting') == 6      # 3 cells, in the matrix and item by item
    close_review(world.admin, review, reason="市领导专题会同意")
    db.session.commit()
    page = client.get(url(world)).get_data(as_text=True)
    summary = re.search(r'<p id="closed-by-decision">(.*?)</p>', page, re.S).group(1)
    assert "1 approved, 0 returned, 3 not signed" in summary and "An administrator completed the review" in summary
    assert f'href="/c/{world.community.code}/plan#overrides"' in summary
    assert "3 waiting." not in page
    # 2 items × 2 parties, one approved: three cells, shown both in the matrix and item by item
    assert page.count("Not signed (completed by an administrator)") == 6
    assert page.count('class="badge warn">Waiting') == 0


def test_a_review_closed_with_every_word_given_keeps_the_plain_summary(client, auth, world):
    review = open_review(world.organiser, world.community)
    for user in (world.dept_user, world.gas_user):
        for item in world.items:
            sign_off(user, review, item, "approved", None)
    close_review(world.organiser, review)
    db.session.commit()
    auth.login("org")
    page = client.get(url(world)).get_data(as_text=True)
    assert "2 items × 2 parties: 4 approved, 0 returned, 0 waiting." in page
    assert 'id="closed-by-decision"' not in page and "Not signed" not in page
