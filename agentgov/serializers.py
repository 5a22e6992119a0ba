import copy

from rest_framework import serializers

_WITH_CHILDREN = (serializers.BaseSerializer, serializers.ListField, serializers.DictField)


def _own_copies(fields: dict) -> dict:
    """Each serializer instance's own copies of prototype fields, as DRF gives each instance
    copies of its declared fields: shallow ones for plain fields, because binding sets only
    a field's own attributes (name, parent, source) and DRF's deep copy, which re-instantiates
    each field from its arguments, was most of a serializer's cost on the agent hot paths;
    deep ones for nested serializers and list or dict fields, whose children point back to
    their parent (and reach the context through it)."""
    return {
        name: copy.deepcopy(field) if isinstance(field, _WITH_CHILDREN) else copy.copy(field)
        for name, field in fields.items()
    }


class StrictSerializer(serializers.Serializer):
    """An input serializer that refuses fields it does not know, naming them."""

    def get_fields(self):
        return _own_copies(self._declared_fields)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({unknown[0]: ["unknown field"]})
        return super().to_internal_value(data)


class FieldsBuiltOnce:
    """Mix into a ModelSerializer (first) whose fields do not depend on the instance or the
    context: the model is introspected once per class instead of on every instantiation."""

    def get_fields(self):
        cls = type(self)
        prototype = cls.__dict__.get("_fields_prototype")
        if prototype is None:
            prototype = super().get_fields()
            cls._fields_prototype = prototype
        return _own_copies(prototype)
