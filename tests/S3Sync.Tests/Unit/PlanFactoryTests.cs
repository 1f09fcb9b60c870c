using System.Reflection;
using S3Sync.Planning;

namespace S3Sync.Tests.Unit;

/// <summary>Every command's plan comes from <see cref="PlanFactory"/>: outside the core a <see cref="PlanOptions"/> can
/// be neither made nor amended (<c>with</c>), so a command cannot plan differently from its dry run or verify.</summary>
public sealed class PlanFactoryTests
{
    [Fact]
    public void Plan_options_can_be_made_and_set_only_inside_the_core()
    {
        var type = typeof(PlanOptions);

        var publicSetters = type.GetProperties(BindingFlags.Instance | BindingFlags.Public)
            .Where(p => p.SetMethod is { IsPublic: true } or { IsFamily: true } or { IsFamilyOrAssembly: true })
            .Select(p => p.Name).ToList();
        var publicConstructors = type.GetConstructors(BindingFlags.Instance | BindingFlags.Public)
            .Where(c => c.GetParameters().Length == 0 || c.GetParameters()[0].ParameterType != type).ToList();

        Assert.Empty(publicSetters);
        Assert.Empty(publicConstructors);
    }

    [Fact]
    public void The_sync_plan_carries_the_comparison_max_age_and_delete_excluded()
    {
        var since = new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc);

        var plan = PlanFactory.Sync(deep: false, settingsChanged: false, [], ComparisonPolicy.SizeOnly, since, deleteExcluded: true);

        Assert.Equal((ComparisonPolicy.SizeOnly, since, true), (plan.Comparison, plan.ModifiedSince, plan.DeleteExcluded));
        Assert.Equal((true, true, false), (plan.Deep, plan.UploadWhenUnsure, plan.Download));
    }
}
