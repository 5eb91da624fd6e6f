"""Import every model module so the metadata (and Alembic) sees all tables."""

from ecrf.audit.models import AuditChainHead, AuditEntry  # noqa: F401
from ecrf.auth.models import ApiToken, AuthSession, LoginThrottle, RoleAssignment, SiteMembership, User  # noqa: F401
from ecrf.definitions.models import FormVersion  # noqa: F401
from ecrf.studies.models import Site, Study, StudyVersion  # noqa: F401
from ecrf.entry.models import Record, Subject, SubjectAnchor, Visit  # noqa: F401
from ecrf.findings.models import Finding  # noqa: F401
from ecrf.queries.models import Query, QueryMessage  # noqa: F401
from ecrf.oncology.models import Derivation, EligibilityOverride  # noqa: F401
from ecrf.review.models import DataLock, ItemVerification, Signature  # noqa: F401
