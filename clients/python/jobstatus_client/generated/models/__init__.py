""" Contains all the data models used in inputs/outputs """

from .error_envelope import ErrorEnvelope
from .failed_job import FailedJob
from .failed_job_status import FailedJobStatus
from .failed_with_error_job import FailedWithErrorJob
from .failed_with_error_job_status import FailedWithErrorJobStatus
from .failed_with_error_job_status_code import FailedWithErrorJobStatusCode
from .health import Health
from .health_status import HealthStatus
from .invalid_entry import InvalidEntry
from .job_envelope import JobEnvelope
from .job_error import JobError
from .job_link import JobLink
from .job_link_entity import JobLinkEntity
from .job_list_envelope import JobListEnvelope
from .job_with_links_envelope import JobWithLinksEnvelope
from .jwks_health import JWKSHealth
from .jwks_health_status import JWKSHealthStatus
from .link import Link
from .list_meta import ListMeta
from .list_meta_code import ListMetaCode
from .list_meta_type import ListMetaType
from .listed_failed_job import ListedFailedJob
from .listed_failed_with_error_job import ListedFailedWithErrorJob
from .listed_id import ListedID
from .listed_pending_job import ListedPendingJob
from .listed_processed_job_with_data import ListedProcessedJobWithData
from .listed_processed_job_with_links import ListedProcessedJobWithLinks
from .meta import Meta
from .meta_type import MetaType
from .missing_job import MissingJob
from .missing_job_status import MissingJobStatus
from .openapi_head_response_200 import OpenapiHeadResponse200
from .openapi_response_200 import OpenapiResponse200
from .pending_job import PendingJob
from .pending_job_status import PendingJobStatus
from .processed_job_with_data import ProcessedJobWithData
from .processed_job_with_data_status import ProcessedJobWithDataStatus
from .processed_job_with_links import ProcessedJobWithLinks
from .processed_job_with_links_status import ProcessedJobWithLinksStatus
from .request_error import RequestError
from .validation_error import ValidationError
from .validation_failed_envelope import ValidationFailedEnvelope
from .validation_rule import ValidationRule

__all__ = (
    "ErrorEnvelope",
    "FailedJob",
    "FailedJobStatus",
    "FailedWithErrorJob",
    "FailedWithErrorJobStatus",
    "FailedWithErrorJobStatusCode",
    "Health",
    "HealthStatus",
    "InvalidEntry",
    "JobEnvelope",
    "JobError",
    "JobLink",
    "JobLinkEntity",
    "JobListEnvelope",
    "JobWithLinksEnvelope",
    "JWKSHealth",
    "JWKSHealthStatus",
    "Link",
    "ListedFailedJob",
    "ListedFailedWithErrorJob",
    "ListedID",
    "ListedPendingJob",
    "ListedProcessedJobWithData",
    "ListedProcessedJobWithLinks",
    "ListMeta",
    "ListMetaCode",
    "ListMetaType",
    "Meta",
    "MetaType",
    "MissingJob",
    "MissingJobStatus",
    "OpenapiHeadResponse200",
    "OpenapiResponse200",
    "PendingJob",
    "PendingJobStatus",
    "ProcessedJobWithData",
    "ProcessedJobWithDataStatus",
    "ProcessedJobWithLinks",
    "ProcessedJobWithLinksStatus",
    "RequestError",
    "ValidationError",
    "ValidationFailedEnvelope",
    "ValidationRule",
)
