from django.conf import settings


def platform(request):
    """What every page's layout needs: the mode banner and the acting organisation."""
    from salamat.accounts.selectors import actor_for_request

    actor = actor_for_request(request) if getattr(request, "user", None) is not None else None
    return {
        "SALAMAT_MODE": settings.MODE,
        "DEV_MODE": settings.DEV_MODE,
        "actor": actor,
    }
