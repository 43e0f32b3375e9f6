"""Photos of the works on the items of the plan in force (participation/plans/work_photos.py, work_photo_views.py):
uploaded by organisers, admins and the community's contractor or supervisor, cleaned of EXIF/GPS, shown to staff on
the works pages and to the community's residents on the progress page; bad files refused with nothing stored;
deletion by the uploader or whoever runs the community; 403/404 outside that."""
import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from participation.demo.work_photos import seed_work_photos
from participation.extensions import db
from participation.models import AuditEvent, Organisation
from participation.models.plans import MAX_WORK_PHOTOS, PlanWorkPhoto
from participation.plans import work_photos
from participation.plans.operations import today
from participation.uploads import upload_root
from tests.conftest import PASSWORD, csrf_token, homes
from tests.participation.test_complaints_resident import GPS_IFD, jpeg_with_gps, png_bytes
from tests.participation.test_progress import progress_site  # noqa: F401  (the fixture)
from tests.participation.test_vote_pages import resident


@pytest.fixture
def site(progress_site, make_user):  # noqa: F811
    """progress_site with a contractor and a supervisor on the community, their accounts, a pipeline company's
    account listed on it, and a grid worker of its first building."""
    community = progress_site["community"]
    contractor = Organisation(name="长春建工", kind="contractor")
    supervisor = Organisation(name="长春监理", kind="supervisor")
    pipeline = Organisation(name="长春燃气", kind="pipeline")
    db.session.add_all([contractor, supervisor, pipeline])
    community.contractor, community.supervisor = contractor, supervisor
    progress_site["users"] = {
        "contractor": make_user("agency", username="builder", organisation=contractor),
        "contractor2": make_user("agency", username="builder2", organisation=contractor),
        "supervisor": make_user("agency", username="watcher", organisation=supervisor),
        "pipeline": make_user("agency", username="gas", organisation=pipeline, communities=[community]),
        "grid": make_user("grid", username="grid", buildings=[community.buildings[0]]),
        "other_grid": make_user("grid", username="grid_b", buildings=[progress_site["other"].buildings[0]]),
    }
    db.session.commit()
    return progress_site


def staff(app, username):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get("/login")
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    return client


def page_url(site, item="B01"):
    return f"/c/{site['community'].code}/plan/works/{item}/photos"


def upload(client, site, data: bytes | None, *, item="B01", name="site.jpg", token=True, **fields):
    url = page_url(site, item)
    form = dict(fields)
    if data is not None:
        form["photo"] = (io.BytesIO(data), name)
    if token:
        form["csrf_token"] = csrf_token(client.get(url).text)
    return client.post(url, data=form, content_type="multipart/form-data")


def stored_files() -> list:
    folder = upload_root() / work_photos.FOLDER
    return sorted(folder.iterdir()) if folder.exists() else []


def fetch(client, url: str) -> tuple[int, str]:
    """GET a photo: (status, mimetype), the file closed."""
    response = client.get(url)
    response.close()
    return response.status_code, response.mimetype


def photo_count() -> int:
    return db.session.scalar(select(func.count(PlanWorkPhoto.id)))


def test_an_organiser_uploads_a_photo_cleaned_of_exif_that_staff_and_residents_see(app, site):
    client = staff(app, "org")
    before = len(stored_files())
    response = upload(client, site, jpeg_with_gps((2000, 1500)), caption="屋面防水施工中",
                      taken_on=(today() - timedelta(days=2)).isoformat())
    assert response.status_code == 302 and response.location.endswith(page_url(site))
    photo = db.session.scalar(select(PlanWorkPhoto))
    assert photo.caption == "屋面防水施工中" and photo.taken_on == today() - timedelta(days=2)
    assert photo.work.item.code == "B01" and photo.uploaded_by_id == site["organiser"].id
    assert len(stored_files()) == before + 2   # the photo and its thumbnail
    for relative in (photo.path, photo.thumbnail_path):
        with Image.open(upload_root() / relative) as kept:
            assert kept.format == "JPEG" and not kept.getexif() and kept.getexif().get_ifd(GPS_IFD) == {}
            assert "exif" not in kept.info
    assert max(photo.thumbnail_width, photo.thumbnail_height) == work_photos.THUMBNAIL_SIDE
    event = db.session.scalar(select(AuditEvent).filter_by(action="plan_work_photo.add"))
    assert event.actor_id == site["organiser"].id and event.object_id == str(photo.id)
    assert event.community_id == site["community"].id

    code = site["community"].code
    works = client.get(f"/c/{code}/plan/works").text
    thumb = f"/c/{code}/plan/works/photos/{photo.id}/thumb.jpg"
    assert (f'src="{thumb}" loading="lazy" width="{photo.thumbnail_width}" height="{photo.thumbnail_height}" '
            f'alt="屋面防水施工中"') in works
    assert f"/c/{code}/plan/works/B01/photos" in works
    assert fetch(client, thumb) == (200, "image/jpeg")
    assert fetch(client, f"/c/{code}/plan/works/photos/{photo.id}.jpg") == (200, "image/jpeg")

    home = resident(app, homes(site["unit"])[0])
    progress = home.get(f"/r/{code}/progress").text
    item_section = progress[progress.index('id="item-B01"'):progress.index('id="item-B02"')]
    resident_thumb = f"/r/{code}/progress/photos/{photo.id}/thumb.jpg"
    assert f'src="{resident_thumb}" loading="lazy"' in item_section and 'alt="屋面防水施工中"' in item_section
    assert "Uploaded by" not in progress   # no staff name on the residents' page
    assert fetch(home, resident_thumb) == (200, "image/jpeg")
    assert fetch(home, f"/r/{code}/progress/photos/{photo.id}.jpg") == (200, "image/jpeg")


def test_the_alt_text_is_the_item_name_without_a_caption(app, site):
    client = staff(app, "org")
    assert upload(client, site, png_bytes(), name="roof.png").status_code == 302
    photo = db.session.scalar(select(PlanWorkPhoto))
    assert photo.caption is None
    b01 = site["items"]["B01"]
    html = resident(app, homes(site["unit"])[0]).get(f"/r/{site['community'].code}/progress").text
    assert f'alt="{b01.name}"' in html


@pytest.mark.parametrize("data, name, words", [
    (b"%PDF-1.4 not a picture at all", "report.pdf", "This file is not a photo. Please choose a JPEG, PNG or WebP"),
    (b"", "empty.jpg", "The photo file is empty."),
    (None, None, "Choose a photo to upload."),
    (jpeg_with_gps()[:400], "cut.jpg", "This file is not a photo."),
])
def test_bad_files_are_refused_with_words_and_nothing_is_stored(app, site, data, name, words):
    client = staff(app, "org")
    before = stored_files()
    response = upload(client, site, data, name=name or "x.jpg") if data is not None else upload(client, site, None)
    assert response.status_code == 400 and words in response.text
    assert photo_count() == 0 and stored_files() == before
    assert db.session.scalar(select(AuditEvent).filter_by(action="plan_work_photo.add")) is None


def test_a_file_over_the_limit_is_refused(app, site, monkeypatch):
    client = staff(app, "org")
    before = stored_files()
    monkeypatch.setattr(work_photos, "MAX_PHOTO_BYTES", 1000)
    response = upload(client, site, jpeg_with_gps())
    assert response.status_code == 400 and "The photo is too large. Photos up to 1 KB are accepted." in response.text
    assert photo_count() == 0 and stored_files() == before


def test_caption_too_long_a_future_date_and_an_item_outside_the_plan_are_refused(app, site):
    client = staff(app, "org")
    response = upload(client, site, jpeg_with_gps(), caption="长" * 101)
    assert response.status_code == 400 and "At most 100 characters, please." in response.text
    response = upload(client, site, jpeg_with_gps(), taken_on=(today() + timedelta(days=1)).isoformat())
    assert response.status_code == 400 and "The day a photo was taken cannot be in the future." in response.text
    # I01 is left out of the adopted version: no photo page
    token = csrf_token(client.get(page_url(site)).text)
    assert client.post(page_url(site, "I01"), data={"csrf_token": token, "photo": (io.BytesIO(png_bytes()), "p.png")},
                       content_type="multipart/form-data").status_code == 404
    assert client.get(page_url(site, "I01")).status_code == 404
    assert photo_count() == 0


def test_an_item_keeps_at_most_six_photos(app, site):
    client = staff(app, "org")
    for _ in range(MAX_WORK_PHOTOS):
        assert upload(client, site, png_bytes(), name="p.png").status_code == 302
    page = client.get(page_url(site)).text
    assert "This item has 6 photos, the most kept. Delete one to add another." in page
    response = upload(client, site, png_bytes(), name="p.png")
    assert response.status_code == 400 and "already has 6 photos, the most kept. Delete one first." in response.text
    assert photo_count() == MAX_WORK_PHOTOS


def test_a_post_without_the_csrf_token_is_refused(app, site):
    client = staff(app, "org")
    response = upload(client, site, jpeg_with_gps(), token=False)
    assert response.status_code == 400 and photo_count() == 0


def test_the_contractor_and_supervisor_upload_and_delete_their_own_only(app, site):
    builder = staff(app, "builder")
    index = builder.get(f"/c/{site['community'].code}/plan/works/photos")   # where the agency starts
    assert index.status_code == 200 and page_url(site) in index.text and page_url(site, "B03") in index.text
    assert page_url(site, "I01") not in index.text   # left out of the adopted plan
    assert builder.get(page_url(site)).status_code == 200
    assert upload(builder, site, jpeg_with_gps(), caption="基础开挖").status_code == 302
    assert upload(staff(app, "watcher"), site, png_bytes(), name="w.png").status_code == 302
    mine, theirs = db.session.scalars(select(PlanWorkPhoto).order_by(PlanWorkPhoto.id)).all()
    code = site["community"].code
    delete_url = f"/c/{code}/plan/works/photos/{{}}/delete"
    token = csrf_token(builder.get(page_url(site)).text)
    assert builder.post(delete_url.format(theirs.id), data={"csrf_token": token}).status_code == 403
    # another account of the same contractor did not upload it
    other = staff(app, "builder2")
    assert other.post(delete_url.format(mine.id),
                      data={"csrf_token": csrf_token(other.get(page_url(site)).text)}).status_code == 403
    assert builder.post(delete_url.format(mine.id), data={}).status_code == 400   # no CSRF token
    files = [upload_root() / mine.path, upload_root() / mine.thumbnail_path]
    mine_id, theirs_id = mine.id, theirs.id
    response = builder.post(delete_url.format(mine.id), data={"csrf_token": token})
    assert response.status_code == 302 and response.location.endswith(page_url(site))
    db.session.expunge_all()
    assert db.session.get(PlanWorkPhoto, mine_id) is None and not any(path.exists() for path in files)
    event = db.session.scalar(select(AuditEvent).filter_by(action="plan_work_photo.delete"))
    assert event.object_id == str(mine_id) and event.actor.username == "builder"
    # whoever runs the community deletes anyone's
    organiser = staff(app, "org")
    response = organiser.post(delete_url.format(theirs_id),
                              data={"csrf_token": csrf_token(organiser.get(page_url(site)).text)})
    assert response.status_code == 302 and photo_count() == 0


def test_scope_other_roles_and_communities(app, site, make_community):
    organiser = staff(app, "org")
    assert upload(organiser, site, jpeg_with_gps()).status_code == 302
    photo = db.session.scalar(select(PlanWorkPhoto))
    code, other = site["community"].code, site["other"].code

    grid = staff(app, "grid")   # reads the plan of its building's community, does not upload
    assert grid.get(page_url(site)).status_code == 200
    assert fetch(grid, f"/c/{code}/plan/works/photos/{photo.id}/thumb.jpg") == (200, "image/jpeg")
    assert upload(grid, site, png_bytes(), name="g.png").status_code == 403
    page = grid.get(page_url(site)).text
    assert 'id="work-photo-upload"' not in page and "Delete this photo" not in page
    assert grid.post(f"/c/{code}/plan/works/photos/{photo.id}/delete",
                     data={"csrf_token": csrf_token(page)}).status_code == 403

    other_grid = staff(app, "grid_b")   # another community's grid worker
    assert other_grid.get(page_url(site)).status_code == 404
    assert other_grid.get(f"/c/{code}/plan/works/photos/{photo.id}.jpg").status_code == 404
    # a photo of A under the code of the community it does not belong to
    assert organiser.get(f"/c/{other}/plan/works/photos/{photo.id}.jpg").status_code == 404

    gas = staff(app, "gas")   # a pipeline company: never works photos
    assert gas.get(page_url(site)).status_code == 403
    assert gas.get(f"/c/{code}/plan/works/photos").status_code == 403
    assert other_grid.get(f"/c/{code}/plan/works/photos").status_code == 404
    assert gas.get(f"/c/{code}/plan/works/photos/{photo.id}.jpg").status_code == 403

    outsider = resident(app, site["other"].buildings[0].units[0].households[0])
    assert outsider.get(f"/r/{code}/progress/photos/{photo.id}.jpg").status_code == 404
    assert outsider.get(f"/r/{other}/progress/photos/{photo.id}/thumb.jpg").status_code == 404
    assert app.test_client().get(f"/r/{code}/progress/photos/{photo.id}.jpg").status_code == 302
    assert db.session.get(PlanWorkPhoto, photo.id) is not None


def test_the_demo_draws_one_photo_per_finished_item(app, site):
    added = seed_work_photos(site["community"], site["organiser"])
    db.session.commit()
    assert added == 1   # B01 is the only finished item
    photo = db.session.scalar(select(PlanWorkPhoto))
    assert photo.work.item.code == "B01" and photo.taken_on == photo.work.finished_on
    assert seed_work_photos(site["community"], site["organiser"]) == 0   # run again: nothing more
