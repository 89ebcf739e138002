"""AppConfigs for Django's contrib apps on MongoDB (ObjectId primary keys)."""

from django.contrib.admin.apps import AdminConfig
from django.contrib.auth.apps import AuthConfig
from django.contrib.contenttypes.apps import ContentTypesConfig

OBJECT_ID = "django_mongodb_backend.fields.ObjectIdAutoField"


class MongoAdminConfig(AdminConfig):
    """The admin with ObjectId primary keys."""

    default_auto_field = OBJECT_ID


class MongoAuthConfig(AuthConfig):
    """Auth with ObjectId primary keys, and a Permission ordering SecantusDB can serve."""

    default_auto_field = OBJECT_ID

    def ready(self):
        super().ready()
        from factory_site.compat import apply_permission_ordering_workaround

        apply_permission_ordering_workaround()


class MongoContentTypesConfig(ContentTypesConfig):
    """Content types with ObjectId primary keys."""

    default_auto_field = OBJECT_ID
