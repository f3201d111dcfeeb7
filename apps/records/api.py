"""Medical records over REST (read only): the patient's own list, a doctor's patient's list,
and one record. The same services log each read exactly as the pages do."""

from __future__ import annotations

from django.core.paginator import Page
from django.http import Http404
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.records import selectors, services
from apps.records.models import MedicalRecord


class RecordSummarySerializer(serializers.ModelSerializer[MedicalRecord]):
    doctor_name = serializers.CharField(source="doctor.name", read_only=True)
    attachment_count = serializers.SerializerMethodField()

    class Meta:
        model = MedicalRecord
        fields = ["id", "patient_id", "doctor_id", "doctor_name", "appointment_id",
                  "record_type", "record_date", "attachment_count"]

    def get_attachment_count(self, obj: MedicalRecord) -> int:
        return len(obj.file_urls or [])


class RecordSerializer(RecordSummarySerializer):
    attachments = serializers.SerializerMethodField()

    class Meta(RecordSummarySerializer.Meta):
        fields = [*RecordSummarySerializer.Meta.fields, "diagnosis", "treatment", "notes",
                  "attachments"]

    def get_attachments(self, obj: MedicalRecord) -> list[str]:
        # Links to the authorized download view, never storage keys or signed URLs.
        return [reverse("records:attachment", kwargs={"record_id": obj.pk, "number": n})
                for n in range(1, len(obj.file_urls or []) + 1)]


def _page_body(page: Page[MedicalRecord]) -> dict[str, object]:
    return {
        "count": page.paginator.count,
        "page": page.number,
        "num_pages": page.paginator.num_pages,
        "results": RecordSummarySerializer(list(page.object_list), many=True).data,
    }


@method_decorator(never_cache, name="dispatch")
class RecordListApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("page", int), OpenApiParameter("patient", int)],
                   responses=RecordSummarySerializer(many=True))
    def get(self, request: Request) -> Response:
        """A patient's own records; a doctor passes `patient` (logged like the page).

        Anyone else gets the pages' answer: 404 (a refused row when `patient` exists).
        """
        actor = request.user
        page_number = request.query_params.get("page", 1)
        if not (isinstance(actor, User) and actor.is_patient):
            try:
                patient_id = int(request.query_params.get("patient", ""))
                services.patient_records_open(actor=actor, patient_id=patient_id,
                                              request=request._request)
            except (ValueError, services.RecordNotFound):
                raise Http404 from None
            page = selectors.records_of_patient(patient_id=patient_id, page=page_number)
        else:
            page = selectors.records_own(actor=actor, page=page_number)
        return Response(_page_body(page))


@method_decorator(never_cache, name="dispatch")
class RecordDetailApi(APIView):
    @extend_schema(responses=RecordSerializer)
    def get(self, request: Request, record_id: int) -> Response:
        try:
            opened = services.record_open(actor=request.user, record_id=record_id,
                                          request=request._request)
        except services.RecordNotFound:
            raise Http404 from None
        return Response(RecordSerializer(opened.record).data)
