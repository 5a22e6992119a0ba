from django.http import HttpResponse


def overview(request):
    return HttpResponse("agentgov")


def area_not_built(request, area: str):
    return HttpResponse(area)
