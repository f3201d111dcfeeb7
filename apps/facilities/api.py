"""The public doctor directory over REST, for the mobile app."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.facilities import selectors


class FacilitySummarySerializer(serializers.Serializer[object]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    city = serializers.CharField()
    facility_type = serializers.CharField()


class DoctorSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    specialty = serializers.CharField(allow_null=True)
    years_of_experience = serializers.IntegerField(allow_null=True)
    pmdc_license_number = serializers.CharField(allow_null=True)
    facilities = serializers.SerializerMethodField()

    def get_facilities(self, doctor: User) -> list[dict[str, object]]:
        links = doctor.practice_links.all()  # prefetched by the selector
        return [FacilitySummarySerializer(link.facility).data for link in links]


class DoctorSearchParams(serializers.Serializer[Any]):
    # CharField refuses NUL bytes and other input PostgreSQL cannot store.
    specialty = serializers.CharField(required=False, allow_blank=True, max_length=100)
    city = serializers.CharField(required=False, allow_blank=True, max_length=100)
    page = serializers.IntegerField(required=False, min_value=1, max_value=100_000)


class DoctorListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("specialty", str), OpenApiParameter("city", str),
            OpenApiParameter("page", int),
        ],
        responses=DoctorSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        params = DoctorSearchParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        page = selectors.doctor_search(
            actor=request.user,
            specialty=params.validated_data.get("specialty", ""),
            city=params.validated_data.get("city", ""),
            page=params.validated_data.get("page", 1),
        )
        return Response({
            "count": page.paginator.count,
            "page": page.number,
            "num_pages": page.paginator.num_pages,
            "results": DoctorSerializer(list(page.object_list), many=True).data,
        })


class DoctorDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=DoctorSerializer)
    def get(self, request: Request, doctor_id: int) -> Response:
        try:
            doctor = selectors.doctor_get(actor=request.user, doctor_id=doctor_id)
        except User.DoesNotExist as exc:
            raise Http404 from exc
        return Response(DoctorSerializer(doctor).data)
