import copy

from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    """An input serializer that refuses fields it does not know, naming them."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({unknown[0]: ["unknown field"]})
        return super().to_internal_value(data)


class FieldsBuiltOnce:
    """Mix into a ModelSerializer (first) whose fields do not depend on the instance or the
    context: the model is introspected once per class instead of on every instantiation
    (most of an output serializer's cost on the agent hot paths). Each instance gets a deep
    copy, as DRF gives each instance copies of its declared fields."""

    def get_fields(self):
        cls = type(self)
        prototype = cls.__dict__.get("_fields_prototype")
        if prototype is None:
            prototype = super().get_fields()
            cls._fields_prototype = prototype
        return copy.deepcopy(prototype)
