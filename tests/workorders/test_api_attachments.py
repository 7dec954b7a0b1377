from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from gongdan.workorders.models import Attachment
from tests.workorders.test_api_work_orders import assert_error


def upload(client, order, name, content, **fields):
    return client.upload(
        f"work-orders/{order.number}/attachments",
        {"file": SimpleUploadedFile(name, content)},
        **fields,
    )


def test_photo_upload_stores_it_with_a_thumbnail(plant, api, new_order, tiny_png):
    order = new_order()
    client = api(plant.requester)
    response = upload(client, order, "fault.jpg", tiny_png, tag="before")
    assert response.status_code == 201, response.content
    body = response.json()
    # The bytes are a PNG, whatever the name says.
    assert body["content_type"] == "image/png"
    assert (body["width"], body["height"]) == (640, 480)
    assert body["tag"] == "before"
    full = client.client.get(body["url"], headers=client.headers)
    assert full.status_code in (200, 302)
    attachment = Attachment.objects.get()
    assert attachment.thumbnail.size > 0
    assert order.events.latest("id").kind == "attachment"


def test_attachments_are_listed(plant, api, new_order, tiny_png):
    order = new_order()
    upload(api(plant.requester), order, "a.png", tiny_png)
    listed = api(plant.dispatcher).get(f"work-orders/{order.number}/attachments").json()
    assert [a["name"] for a in listed] == ["a.png"]


def test_a_script_named_like_a_photo_is_refused(plant, api, new_order):
    order = new_order()
    response = upload(api(plant.requester), order, "photo.jpg", b"#!/bin/sh\nrm -rf /\n")
    assert_error(response, 422, "validation_error", "file")
    assert Attachment.objects.count() == 0


def test_a_truncated_image_is_refused(plant, api, new_order, tiny_png):
    order = new_order()
    response = upload(api(plant.requester), order, "broken.png", tiny_png[:200])
    assert_error(response, 422, "validation_error", "file")
    assert Attachment.objects.count() == 0


def test_oversize_upload_is_a_413(plant, api, new_order, tiny_png, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    order = new_order()
    response = upload(api(plant.requester), order, "big.png", tiny_png + b"\0" * 2000)
    assert_error(response, 413, "too_large", "file")
    assert Attachment.objects.count() == 0


def test_missing_file_is_a_422(plant, api, new_order):
    order = new_order()
    response = api(plant.requester).upload(f"work-orders/{order.number}/attachments", {})
    assert_error(response, 422, "validation_error", "file")


def test_others_cannot_download_a_requesters_photo(plant, api, new_order, tiny_png, client):
    from tests.conftest import PASSWORD

    order = new_order()
    url = upload(api(plant.requester), order, "a.png", tiny_png).json()["url"]
    assert client.login(username="requester2", password=PASSWORD)
    assert client.get(url).status_code == 404
    assert client.login(username="requester", password=PASSWORD)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
