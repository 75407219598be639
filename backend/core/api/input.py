"""Validating a request's query string or body with an input serializer (field errors → the 400 envelope)."""


def validated_query(serializer_class, request, **kwargs):
    data = serializer_class(data=request.query_params, **kwargs)
    data.is_valid(raise_exception=True)
    return data.validated_data


def validated_body(serializer_class, request, **kwargs):
    data = serializer_class(data=request.data, **kwargs)
    data.is_valid(raise_exception=True)
    return data.validated_data
